"""API keys: create one (shown once), and authenticate a presented key."""

from __future__ import annotations

import hashlib
import hmac
import secrets
import threading
from datetime import datetime, timedelta

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
        raise InvalidRequest("A kiosk key needs the terminal it belongs to (--terminal).",
                             {"terminal": ["required for role kiosk"]})
    key_id, secret = secrets.token_hex(6), secrets.token_urlsafe(24)
    with uow:
        uow.lock_for_writing()
        if terminal_id is not None and not uow.terminals.exists(terminal_id):
            raise NotFound(f"There is no terminal {terminal_id}.", terminal=terminal_id)
        now = clock.now()
        uow.keys.add(ApiKey(key_id, hash_secret(secret), role, terminal_id, now, label))
        uow.journal.add(JournalEntry("key_created", terminal_id or "*", actor, now,
                                     subject=key_id, after={"role": str(role), "label": label}))
        uow.commit()
    return f"{PREFIX}_{key_id}_{secret}"


class KeyCache:
    """Keys read recently, by id, for `ttl` seconds: most requests need no key query."""

    def __init__(self, clock: Clock, ttl: float = 30.0):
        self.clock, self.ttl = clock, ttl
        self._keys: dict[str, tuple[ApiKey, datetime]] = {}
        self._lock = threading.Lock()

    def get(self, key_id: str) -> ApiKey | None:
        """Return the cached key, or None when absent or stale."""
        with self._lock:
            found = self._keys.get(key_id)
        if found is None or self.clock.now() - found[1] > timedelta(seconds=self.ttl):
            return None
        return found[0]

    def put(self, key: ApiKey) -> None:
        """Remember a key read from the database."""
        with self._lock:
            if len(self._keys) > 10_000:
                self._keys.clear()
            self._keys[key.id] = (key, self.clock.now())


def authenticate(presented: str | None, *, uow: SqlUnitOfWork,
                 cache: KeyCache | None = None) -> ApiKey:
    """Return the key for a presented `cmx_<id>_<secret>`; raises Unauthenticated."""
    if not presented:
        raise Unauthenticated("an API key is required: Authorization: Bearer <key>")
    prefix, _, rest = presented.partition("_")
    key_id, _, secret = rest.partition("_")
    if prefix != PREFIX or not secret:
        raise Unauthenticated("the API key is not valid")
    key = cache.get(key_id) if cache is not None else None
    if key is None:
        with uow:
            key = uow.keys.get(key_id)
        if key is not None and cache is not None:
            cache.put(key)
    if key is None or not hmac.compare_digest(key.secret_hash, hash_secret(secret)):
        raise Unauthenticated("the API key is not valid")
    return key
