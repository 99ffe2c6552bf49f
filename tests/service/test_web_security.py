"""Security headers on every page and response, the console cookie's flags, trusted proxies,
and templates without inline script, through the Flask test client."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from kiosk_service.services.keys import key_id_of
from tests.service.conftest import Console

DEMO = "demo-czk"
TEMPLATES = Path(__file__).resolve().parents[2] / "kiosk_service"


def policy(response) -> dict[str, list[str]]:
    """Return the Content-Security-Policy as directive -> sources."""
    directives = [d.split() for d in response.headers["Content-Security-Policy"].split(";")]
    return {d[0]: d[1:] for d in directives if d}


def assert_page_headers(response) -> None:
    assert response.mimetype == "text/html"
    csp = policy(response)
    assert csp["script-src"] == ["'self'"] and csp["style-src"] == ["'self'"]
    assert csp["default-src"] == ["'self'"] and csp["object-src"] == ["'none'"]
    assert csp["frame-ancestors"] == ["'none'"] and csp["base-uri"] == ["'none'"]
    assert response.headers["Referrer-Policy"] == "no-referrer"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["X-Frame-Options"] == "DENY"


@pytest.fixture
def demo(make_app, keys):
    app = make_app(KIOSK_DEMO=True)
    app.config["KIOSK_DEMO_KEY"] = keys["kiosk"]
    return app


def test_every_html_page_carries_the_page_policy(demo, keys):
    console = Console(demo.test_client())
    pages = [console.get("/console/sign-in"), console.get("/api/v1/docs"),
             console.get(f"/kiosk/{DEMO}")]
    assert console.sign_in(keys["staff"]).status_code == 302
    pages += [console.get(path) for path in (
        f"/console/terminals/{DEMO}", f"/console/terminals/{DEMO}/replenish",
        f"/console/terminals/{DEMO}/journal", "/console/terminals/vienna-eur")]  # 403 page too
    for page in pages:
        assert_page_headers(page)
    assert [p.status_code for p in pages] == [200, 200, 200, 200, 200, 200, 403]


def test_other_responses_run_nothing_and_are_never_sniffed(client, keys):
    responses = [client.get(f"/api/v1/terminals/{DEMO}",
                            headers={"Authorization": f"Bearer {keys['staff']}"}),
                 client.get(f"/api/v1/terminals/{DEMO}"), client.get("/api/v1/openapi.json"),
                 client.get("/healthz"), client.get("/api/v1/docs-static/swagger-start.js")]
    for response in responses:
        response.close()        # static files are streamed
        assert policy(response)["default-src"] == ["'none'"]
        assert policy(response)["frame-ancestors"] == ["'none'"]
        assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert [r.status_code for r in responses] == [200, 401, 200, 200, 200]


def session_cookie(response) -> str:
    return next(h for h in response.headers.getlist("Set-Cookie") if h.startswith("session="))


def cookie_flags(response) -> set[str]:
    """Return the session cookie's attributes, lower case: httponly, samesite=strict, ..."""
    return {part.strip().lower() for part in session_cookie(response).split(";")[1:]}


def test_the_console_cookie_is_httponly_and_samesite_strict(client):
    flags = cookie_flags(client.get("/console/sign-in"))
    assert {"httponly", "samesite=strict"} <= flags and "secure" not in flags


def test_the_console_cookie_is_secure_over_tls(app):
    client = app.test_client()
    flags = cookie_flags(client.get("/console/sign-in", base_url="https://branch.example"))
    assert {"httponly", "samesite=strict", "secure"} <= flags


def test_the_console_cookie_is_secure_behind_a_trusted_tls_proxy(make_app):
    trusted = make_app(TRUSTED_PROXIES=1).test_client()
    untrusted = make_app().test_client()
    forwarded = {"X-Forwarded-Proto": "https", "X-Forwarded-For": "203.0.113.9"}
    assert "secure" in cookie_flags(trusted.get("/console/sign-in", headers=forwarded))
    assert "secure" not in cookie_flags(untrusted.get("/console/sign-in", headers=forwarded))


def test_the_console_cookie_can_be_forced_secure(make_app):
    client = make_app(SESSION_COOKIE_SECURE=True).test_client()
    assert "secure" in cookie_flags(client.get("/console/sign-in"))


def test_a_forwarded_address_counts_only_behind_a_trusted_proxy(make_app, keys):
    limits = {"AUTH_FAILURES_PER_KEY": 100, "AUTH_FAILURES_PER_ADDRESS": 2}
    untrusted = make_app(**limits).test_client()
    trusted = make_app(TRUSTED_PROXIES=1, **limits).test_client()
    bad = {"Authorization": f"Bearer cmx_{key_id_of(keys['kiosk'])}_wrong"}

    def attempt(client, forwarded_for: str) -> int:
        return client.get(f"/api/v1/terminals/{DEMO}", headers=bad | {
            "X-Forwarded-For": forwarded_for}).status_code

    # Without a trusted proxy a client cannot pose as many addresses.
    assert [attempt(untrusted, f"198.51.100.{n}") for n in range(3)] == [401, 401, 429]
    # Behind one, each forwarded address is its own bucket (the proxy's own is 127.0.0.1).
    assert [attempt(trusted, "203.0.113.1") for _ in range(3)] == [401, 401, 429]
    assert attempt(trusted, "203.0.113.2") == 401


INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)(?![^>]*type=\"application/json\")[^>]*>",
                           re.IGNORECASE)
HANDLER = re.compile(r"\son[a-z]+\s*=", re.IGNORECASE)
STYLE_ELEMENT = re.compile(r"<style\b", re.IGNORECASE)
JS_URL = re.compile(r"(href|src|action)\s*=\s*[\"']?\s*javascript:", re.IGNORECASE)


@pytest.mark.parametrize("template", sorted(TEMPLATES.rglob("templates/**/*.html")),
                         ids=lambda p: str(p.relative_to(TEMPLATES)))
def test_templates_hold_no_inline_script_handler_or_style_element(template):
    html = template.read_text()
    assert INLINE_SCRIPT.findall(html) == []
    assert HANDLER.findall(html) == []
    assert STYLE_ELEMENT.findall(html) == []
    assert JS_URL.findall(html) == []
