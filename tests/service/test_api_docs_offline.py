"""The browsable API docs work without internet: Swagger UI's files come from the service."""

from __future__ import annotations


def test_docs_page_loads_swagger_ui_from_the_service(client):
    with client.get("/api/v1/docs") as page:
        assert page.status_code == 200
        html = page.get_data(as_text=True)
    assert "/api/v1/swagger-ui/swagger-ui-bundle.js" in html and "cdn." not in html
    with client.get("/api/v1/swagger-ui/swagger-ui-bundle.js") as bundle:
        assert bundle.status_code == 200 and len(bundle.get_data()) > 100_000
    with client.get("/api/v1/swagger-ui/swagger-ui.css") as style:
        assert style.status_code == 200
