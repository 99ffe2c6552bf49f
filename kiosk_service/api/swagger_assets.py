"""Swagger UI's files served by the service itself: kiosks and branch PCs are often offline."""

from __future__ import annotations

from flask import Blueprint, Flask
from swagger_ui_bundle import swagger_ui_path

ASSETS_URL = "/api/v1/swagger-ui"


def init_app(app: Flask) -> None:
    """Serve the bundled Swagger UI and point flask-smorest's docs page at it."""
    app.register_blueprint(Blueprint("swagger_ui_assets", __name__, static_folder=swagger_ui_path,
                                     static_url_path=ASSETS_URL))
