"""The kiosk page: one HTML document whose script drives the public HTTP API."""

from __future__ import annotations

from flask import Blueprint, render_template

from denomination.catalogue import default_catalogue
from kiosk_service.kiosk_page.strings import STRINGS
from kiosk_service.web_deps import current_setting

blp = Blueprint("kiosk_page", __name__, url_prefix="/kiosk", template_folder="templates",
                static_folder="static", static_url_path="/static")


@blp.get("/<tid>")
def page(tid: str) -> str:
    """Render the customer screen for terminal `tid` (demo mode only)."""
    settings = {
        "terminal": tid,
        "api": "/api/v1",
        # Demo only: a real kiosk keeps its key out of any page a browser can read.
        "key": current_setting("KIOSK_DEMO_KEY", ""),
        "signer": f"/kiosk/{tid}/demo-authorization",
        "exponents": {c.code: c.exponent for c in default_catalogue().currencies.values()},
        "take_seconds": current_setting("KIOSK_TAKE_SECONDS", 30),
        "strings": STRINGS,
    }
    return render_template("kiosk/page.html", settings=settings, strings=STRINGS["en"])
