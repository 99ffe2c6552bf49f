"""The reference customer kiosk page (`/kiosk/<terminal>`), served only in demo mode.

It talks to the service through the public HTTP API alone, with the demo terminal's kiosk key
and the demo-only host signer: both are secrets a real kiosk never gets from a web page, so
neither the page nor the signer exists unless `KIOSK_DEMO` is set (`kiosk-service demo`).
"""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    """Register the kiosk page and the demo signer when the app runs in demo mode."""
    if not app.config.get("KIOSK_DEMO"):
        return
    from kiosk_service.kiosk_page import demo_signer, views

    app.register_blueprint(views.blp)
    app.register_blueprint(demo_signer.blp)
