"""API keys: create one (shown once), and authenticate a presented key."""

from __future__ import annotations

import hashlib
import hmac
import secrets

from denomination.errors import InvalidRequest
from kiosk_service.errors import NotFound, Unauthenticated
from kiosk_service.hardware.clock import Clock
from kiosk_service.persistence.unit_of_work import SqlUnitOfWork
from kiosk_service.records import ApiKey, JournalEntry, Role

PREFIX = "cmx"


def hash_secret(secret: str) -> str:
    """Return the stored form of a key's secret (keys are random, so a plain SHA-256 suffices)."""
    return hashlib.sha256(secret.encode()).hexdigest()


def create_key(role: Role, terminal_id: str | None, *, uow: SqlUnitOfWork, clock: Clock,
               label: str = "", actor: str = "cli") -> str:
    """Create a key and return it in full (`cmx_<id>_<secret>`); only its hash is stored.

    Raises InvalidRequest (`invalid_request`) for a kiosk key without a terminal, NotFound
    (`not_found`) for an unknown terminal.
    """
    if role == Role.KIOSK and terminal_id is None:
        raise InvalidRequest("a kiosk key needs the terminal it belongs to",
                             {"terminal": ["required for role kiosk"]})
    key_id, secret = secrets.token_hex(6), secrets.token_urlsafe(24)
    with uow:
        uow.lock_for_writing()
        if terminal_id is not None and not uow.terminals.exists(terminal_id):
            raise NotFound(f"no terminal {terminal_id!r}", terminal=terminal_id)
        now = clock.now()
        uow.keys.add(ApiKey(key_id, hash_secret(secret), role, terminal_id, now, label))
        uow.journal.add(JournalEntry("key_created", terminal_id or "*", actor, now,
                                     subject=key_id, after={"role": str(role), "label": label}))
        uow.commit()
    return f"{PREFIX}_{key_id}_{secret}"


def authenticate(presented: str | None, *, uow: SqlUnitOfWork) -> ApiKey:
    """Return the key for a presented `cmx_<id>_<secret>`; raises Unauthenticated."""
    if not presented:
        raise Unauthenticated("an API key is required: Authorization: Bearer <key>")
    prefix, _, rest = presented.partition("_")
    key_id, _, secret = rest.partition("_")
    with uow:
        key = uow.keys.get(key_id) if prefix == PREFIX and secret else None
    if key is None or not hmac.compare_digest(key.secret_hash, hash_secret(secret)):
        raise Unauthenticated("the API key is not valid")
    return key
