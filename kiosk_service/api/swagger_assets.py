"""Swagger UI's files served by the service itself: kiosks and branch PCs are often offline.

The docs page is our own template rather than flask-smorest's, whose inline script the pages'
Content-Security-Policy (no inline script) would block: the settings travel in data attributes
and a static script starts Swagger UI.
"""

from __future__ import annotations

from flask import Blueprint, Flask, render_template, url_for
from swagger_ui_bundle import swagger_ui_path

from kiosk_service.web_deps import current_setting

ASSETS_URL = "/api/v1/swagger-ui"
#: flask-smorest's endpoint for the Swagger UI page, whose view this module replaces.
DOCS_ENDPOINT = "api-docs.openapi_swagger_ui"


def init_app(app: Flask) -> None:
    """Serve the bundled Swagger UI and our start-up script, and render the docs page."""
    app.register_blueprint(Blueprint("swagger_ui_assets", __name__, static_folder=swagger_ui_path,
                                     static_url_path=ASSETS_URL))
    app.register_blueprint(Blueprint("swagger_ui_start", __name__, static_folder="static",
                                     static_url_path="/api/v1/docs-static",
                                     template_folder="templates"))
    if DOCS_ENDPOINT in app.view_functions:
        app.view_functions[DOCS_ENDPOINT] = docs_page


def docs_page() -> str:
    """Render Swagger UI on the OpenAPI document, without inline script."""
    return render_template("api/swagger_ui.html", title=current_setting("API_TITLE"),
                           spec_url=url_for("api-docs.openapi_json"),
                           assets=ASSETS_URL + "/",
                           settings=current_setting("OPENAPI_SWAGGER_UI_CONFIG", {}))
