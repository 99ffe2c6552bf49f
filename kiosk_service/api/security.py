"""API-key authentication and role checks for the views."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from flask import g, request

from kiosk_service.api.deps import current_deps
from kiosk_service.errors import Forbidden
from kiosk_service.records import Role
from kiosk_service.services.keys import authenticate

BEARER = {"bearer": []}


def requires(*roles: Role) -> Callable:
    """Let the view run only for a key of one of `roles` that covers the `tid` in the URL.

    No or unknown key: 401 `unauthenticated`; wrong role or terminal: 403 `forbidden`. Runs
    before the body is validated, so an anonymous caller learns nothing about the API.
    """

    def decorate(view: Callable) -> Callable:
        @wraps(view)
        def checked(*args: Any, **kwargs: Any) -> Any:
            deps = current_deps()
            key = authenticate(_bearer(), uow=deps.unit_of_work(), cache=deps.keys)
            if key.role not in roles:
                raise Forbidden(f"role {key.role} may not do this", role=str(key.role))
            if "tid" in kwargs and not key.may_act_on(kwargs["tid"]):
                raise Forbidden("this key is not for that terminal", terminal=kwargs["tid"])
            g.cashmix_key = key
            return view(*args, **kwargs)

        return checked

    return decorate


def _bearer() -> str | None:
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    return token.strip() if scheme.lower() == "bearer" and token.strip() else None
