"""API-key authentication and role checks for the views."""

from __future__ import annotations

import inspect
from collections.abc import Callable
from copy import deepcopy
from functools import wraps
from typing import Any

from flask import g, request

from kiosk_service.api import ErrorSchema
from kiosk_service.errors import Forbidden
from kiosk_service.records import Role
from kiosk_service.services.keys import authenticate
from kiosk_service.web_deps import current_deps

#: The responses `requires` adds to every operation's OpenAPI entry (API_DESCRIPTION says more).
ACCESS_RESPONSES = {
    401: "`unauthenticated`: no API key, or an unknown, revoked or expired one "
         "(`errors.problem`: `revoked` or `expired` when the secret was right).",
    403: "`forbidden`: the key's role may not do this, or the key is not for this terminal "
         "(a kiosk key, or a staff key issued for one terminal, on any other terminal id, "
         "whether it exists or not).",
    404: "`not_found`: for a key that covers every terminal (admin, or staff issued for no "
         "one terminal), the terminal does not exist; for any allowed key, the terminal has "
         "no such quote, dispense or cassette.",
    429: "`too_many_requests`: too many failed authentications in the last minute from this "
         "client address or for this key id; every request from the address or with the key "
         "id is refused until the `Retry-After` header's seconds have passed "
         "(`errors.retry_after` says the same).",
}

#: The header a 429 carries, documented with it.
RETRY_AFTER = {"Retry-After": {"description": "Seconds until authentication is tried again.",
                               "schema": {"type": "integer"}}}


def requires(*roles: Role) -> Callable:
    """Let the view run only for a key of one of `roles` that covers the `tid` in the URL.

    No, unknown, revoked or expired key: 401 `unauthenticated`; after too many failures from the
    client's address or for the key id: 429 `too_many_requests`; wrong role, or a terminal the
    key does not cover (existing or not, so a terminal-bound key cannot probe which terminals
    exist): 403 `forbidden`. Runs before the body is validated, so an anonymous caller learns
    nothing about the API. Documents in the operation's OpenAPI entry 401 and 429, and 403 and
    404 where a request can get them (`reachable_statuses`).
    """

    def decorate(view: Callable) -> Callable:
        @wraps(view)
        def checked(*args: Any, **kwargs: Any) -> Any:
            deps = current_deps()
            key = authenticate(_bearer(), uow=deps.unit_of_work(), clock=deps.clock,
                               address=request.remote_addr, limits=deps.auth_limits)
            if key.role not in roles:
                raise Forbidden(f"A {key.role} key may not do this; it needs a "
                                f"{' or '.join(str(r) for r in roles)} key.", role=str(key.role))
            if "tid" in kwargs and not key.may_act_on(kwargs["tid"]):
                raise Forbidden(f"This key is not for terminal {kwargs['tid']}.",
                                terminal=kwargs["tid"])
            g.cashmix_key = key
            return view(*args, **kwargs)

        checked._apidoc = deepcopy(getattr(view, "_apidoc", {}))
        documented = checked._apidoc.setdefault("response", {}).setdefault("responses", {})
        reachable = reachable_statuses(roles, set(inspect.signature(view).parameters))
        for status, description in ACCESS_RESPONSES.items():
            if status not in reachable:
                continue
            documented.setdefault(status, []).append(
                {"description": description, "schema": ErrorSchema, "content_type": None}
                | ({"headers": RETRY_AFTER} if status == 429 else {}))
        return checked

    return decorate


def reachable_statuses(roles: tuple[Role, ...], parameters: set[str]) -> set[int]:
    """Return the access statuses a request can get from an operation for `roles` whose URL
    has `parameters`: 403 when some role may not call it or a terminal-bound role names a
    terminal; 404 when a key covering every terminal (admin, staff) names one, or the URL names
    a quote, dispense or cassette of it."""
    statuses = {401, 429}
    names_terminal = "tid" in parameters
    if set(roles) != set(Role) or (names_terminal and {Role.KIOSK, Role.STAFF} & set(roles)):
        statuses.add(403)
    if names_terminal and ({Role.ADMIN, Role.STAFF} & set(roles)
                           or parameters & {"qid", "did", "cid"}):
        statuses.add(404)
    return statuses


def _bearer() -> str | None:
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    return token.strip() if scheme.lower() == "bearer" and token.strip() else None
