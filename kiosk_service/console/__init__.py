"""The staff web console (/console): server-rendered pages over the staff use cases."""

from __future__ import annotations

import secrets
from typing import Any

from kiosk_service.console import views


def init_app(app: Any) -> None:
    """Register the console. Sessions are signed with SECRET_KEY ($CASHMIX_SECRET_KEY); without
    one, a random key is made, so sign-ins last as long as this process."""
    if not app.config.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = secrets.token_hex(32)
    app.config.setdefault("SESSION_COOKIE_SAMESITE", "Lax")
    app.register_blueprint(views.blp)
