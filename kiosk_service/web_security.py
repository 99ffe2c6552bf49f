"""Browser-facing protections in one place: security headers on every response, the console's
session cookie flags, and which reverse proxies are trusted for the client's address and TLS."""

from __future__ import annotations

from flask import Flask, Request, Response, request
from flask.sessions import SecureCookieSession, SecureCookieSessionInterface
from werkzeug.middleware.proxy_fix import ProxyFix

#: The pages' policy (kiosk page, console, API docs): scripts, styles, images and requests from
#: the service alone, no inline script or <style>, no plugins, never framed, forms post only
#: back to the service. Inline style *attributes* are allowed because the console overview's
#: fill bars set their width in one (templates/console/overview.html); drop the
#: style-src-attr directive once that moves to a class or console.js.
PAGE_POLICY = "; ".join([
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "style-src-attr 'unsafe-inline'",
    "img-src 'self' data:",
    "connect-src 'self'",
    "font-src 'self'",
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'self'",
    "frame-ancestors 'none'",
])
#: Everything else (JSON, scripts, styles, metrics): nothing runs, nothing frames it.
RESOURCE_POLICY = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'"

HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",       # frame-ancestors 'none' for browsers without CSP level 2
}


class SessionCookies(SecureCookieSessionInterface):
    """Flask's signed session cookie, marked Secure when the request came over TLS (directly,
    or through a trusted proxy's X-Forwarded-Proto) or SESSION_COOKIE_SECURE says so."""

    def get_cookie_secure(self, app: Flask) -> bool:
        return bool(app.config["SESSION_COOKIE_SECURE"]) or request.is_secure

    def open_session(self, app: Flask, incoming: Request) -> SecureCookieSession | None:
        # No cookie (every API call): an empty session, without building the signer first.
        if app.secret_key and not incoming.cookies.get(self.get_cookie_name(app)):
            return self.session_class()
        return super().open_session(app, incoming)


def init_app(app: Flask) -> None:
    """Set the headers after every request, the cookie flags, and trust TRUSTED_PROXIES hops.

    The console's cookie is HttpOnly and SameSite=Strict (a link from another site arrives
    signed out, and no other site's form carries the cookie), Secure as SessionCookies says.
    """
    app.config["SESSION_COOKIE_HTTPONLY"] = True
    app.config["SESSION_COOKIE_SAMESITE"] = "Strict"
    app.session_interface = SessionCookies()
    hops = int(app.config.get("TRUSTED_PROXIES", 0))
    if hops > 0:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops)

    @app.after_request
    def secure_headers(response: Response) -> Response:
        for name, value in HEADERS.items():
            response.headers.setdefault(name, value)
        policy = PAGE_POLICY if response.mimetype == "text/html" else RESOURCE_POLICY
        response.headers.setdefault("Content-Security-Policy", policy)
        return response
