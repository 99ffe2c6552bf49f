"""Who is signed in to the console, and the CSRF token every form carries."""

from __future__ import annotations

import hmac
import secrets
from collections.abc import Callable
from functools import wraps
from typing import Any

from flask import abort, g, redirect, request, session, url_for

from kiosk_service.errors import Forbidden
from kiosk_service.records import ApiKey, KeyState, Role
from kiosk_service.web_deps import current_deps

CONSOLE_ROLES = (Role.STAFF, Role.ADMIN)


def csrf_token() -> str:
    """Return this session's CSRF token, made on first use."""
    if "csrf" not in session:
        session["csrf"] = secrets.token_urlsafe(32)
    return session["csrf"]


def check_csrf() -> None:
    """Refuse (400) a POST whose form lacks this session's CSRF token."""
    if request.method == "POST":
        sent = request.form.get("csrf_token", "")
        if not sent or not hmac.compare_digest(sent, session.get("csrf", "")):
            abort(400, description="the form has expired; reload the page and try again")


def sign_in(key: ApiKey) -> None:
    """Start a console session for `key` (a new CSRF token too: no fixation)."""
    session.clear()
    session["key_id"] = key.id
    csrf_token()


def signed_in_key() -> ApiKey | None:
    """Return the key of the signed-in person, or None (also when the key was removed, revoked
    or has expired: read on every request, so a revocation signs out at once)."""
    key_id = session.get("key_id")
    if key_id is None:
        return None
    deps = current_deps()
    with deps.unit_of_work() as uow:
        key = uow.keys.get(key_id)
    if key is None or key.state_at(deps.clock.now()) != KeyState.ACTIVE:
        return None
    return key if key.role in CONSOLE_ROLES else None


def signed_in(view: Callable) -> Callable:
    """Let the view run for a signed-in staff or admin whose key covers the `tid` in the URL."""

    @wraps(view)
    def checked(*args: Any, **kwargs: Any) -> Any:
        key = signed_in_key()
        if key is None:
            session.clear()
            return redirect(url_for("console.sign_in_page", next=request.path))
        if "tid" in kwargs and not key.may_act_on(kwargs["tid"]):
            raise Forbidden("this key is not for that terminal", terminal=kwargs["tid"])
        g.console_key = key
        return view(*args, **kwargs)

    return checked


def actor() -> str:
    """Return who acts, for the journal: `role:key-id (label)`."""
    key: ApiKey = g.console_key
    return f"{key.role}:{key.id}" + (f" ({key.label})" if key.label else "")
