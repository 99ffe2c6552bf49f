"""API keys: create (shown once), list, revoke, rotate, and authenticate a presented key.

Nothing about a key is cached in a process: every request reads its key and the failure
counters in one statement, so a revoked or expired key is refused at once by every process
(bench/auth.py measures the cost). Failed authentications are counted per key id and per
client address in the database, shared by every process; a bucket that reaches its limit is
refused with `too_many_requests` until its window ends. Neither the journal nor the logs ever
hold a presented secret: only the public key id, when the presented key is well formed.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import math
import re
import secrets
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from denomination.errors import InvalidRequest
from kiosk_service.errors import InvalidState, NotFound, TooManyRequests, Unauthenticated
from kiosk_service.hardware.clock import Clock
from kiosk_service.persistence.unit_of_work import SqlUnitOfWork
from kiosk_service.records import ApiKey, JournalEntry, JournalKind, KeyState, Role

PREFIX = "cmx"
#: A key id as create_key makes it (token_hex(6)); anything else is never journalled or logged.
KEY_ID = re.compile(r"[0-9a-f]{12}")
#: Compared with when the key id is unknown, so an unknown id costs what a wrong secret does.
_NO_KEY_HASH = hashlib.sha256(b"no such key").hexdigest()

log = logging.getLogger("cashmix.auth")


@dataclass(frozen=True, slots=True)
class AuthLimits:
    """Failed authentications allowed per key id and per client address in each window."""

    per_key: int = 10
    per_address: int = 30
    window: timedelta = timedelta(seconds=60)


def hash_secret(secret: str) -> str:
    """Return the stored form of a key's secret (keys are random, so a plain SHA-256 suffices)."""
    return hashlib.sha256(secret.encode()).hexdigest()


def create_key(role: Role, terminal_id: str | None, *, uow: SqlUnitOfWork, clock: Clock,
               label: str = "", actor: str = "cli", expires_at: datetime | None = None,
               rotated_from: str | None = None) -> str:
    """Create a key and return it in full (`cmx_<id>_<secret>`); only its hash is stored.

    Raises InvalidRequest (`invalid_request`) for a kiosk key without a terminal or an expiry
    that is not in the future, NotFound (`not_found`) for an unknown terminal.
    """
    if role == Role.KIOSK and terminal_id is None:
        raise InvalidRequest("A kiosk key needs the terminal it belongs to (--terminal).",
                             {"terminal": ["required for role kiosk"]})
    now = clock.now()
    _check_expiry(expires_at, now)
    key_id, secret = _new_credentials()
    with uow:
        uow.lock_for_writing()
        if terminal_id is not None and not uow.terminals.exists(terminal_id):
            raise NotFound(f"There is no terminal {terminal_id}.", terminal=terminal_id)
        _add_key(uow, ApiKey(key_id, hash_secret(secret), role, terminal_id, now, label,
                             expires_at), actor, now, rotated_from)
        uow.commit()
    return f"{PREFIX}_{key_id}_{secret}"


def _check_expiry(expires_at: datetime | None, now: datetime) -> None:
    """Raise InvalidRequest (`invalid_request`) for an expiry that is not after `now`."""
    if expires_at is not None and expires_at <= now:
        raise InvalidRequest("The key's expiry must be in the future.",
                             {"expires_at": ["must be in the future"]})


def _new_credentials() -> tuple[str, str]:
    """Return a new key's id (matching KEY_ID) and its secret."""
    return secrets.token_hex(6), secrets.token_urlsafe(24)


def _add_key(uow: SqlUnitOfWork, key: ApiKey, actor: str, now: datetime,
             rotated_from: str | None) -> None:
    uow.keys.add(key)
    after = {"role": str(key.role), "label": key.label,
             "expires_at": key.expires_at.isoformat() if key.expires_at else None}
    if rotated_from is not None:
        after["rotated_from"] = rotated_from
    uow.journal.add(JournalEntry(JournalKind.KEY_CREATED, key.terminal_id or "*", actor, now,
                                 subject=key.id, after=after))


def key_id_of(key_or_id: str) -> str:
    """Return the key id in `cmx_<id>_<secret>`, `cmx_<id>` or `<id>`."""
    parts = key_or_id.strip().split("_", 2)
    return parts[1] if parts[0] == PREFIX and len(parts) > 1 else parts[0]


def list_keys(*, uow: SqlUnitOfWork) -> list[ApiKey]:
    """Return every key (revoked and expired too), oldest first; secrets are only hashes."""
    with uow:
        return uow.keys.all()


def revoke_key(key_or_id: str, *, uow: SqlUnitOfWork, clock: Clock, actor: str = "cli",
               reason: str | None = None) -> tuple[ApiKey, bool]:
    """Revoke a key at once, in every process; return it and whether it was active until now
    (a key revoked before is returned as it is, and not journalled again).

    Raises NotFound (`not_found`) for an unknown key.
    """
    with uow:
        uow.lock_for_writing()
        key = _existing(uow, key_or_id)
        if key.revoked_at is not None:
            return key, False
        now = clock.now()
        uow.keys.revoke(key.id, now)
        uow.journal.add(JournalEntry(JournalKind.KEY_REVOKED, key.terminal_id or "*", actor, now,
                                     subject=key.id, reason=reason,
                                     before={"state": str(key.state_at(now))},
                                     after={"state": str(KeyState.REVOKED)}))
        uow.commit()
    return replace(key, revoked_at=now), True


def rotate_key(key_or_id: str, *, uow: SqlUnitOfWork, clock: Clock, actor: str = "cli",
               reason: str | None = None, expires_at: datetime | None = None) -> tuple[str, ApiKey]:
    """Replace a key by a new one with the same role, terminal and label, revoking the old one
    in the same transaction; return the new key in full (shown once) and the old key.

    The new key expires at `expires_at`, or else after the old key's lifetime counted from now
    (never, when the old one never expired). Raises NotFound (`not_found`), InvalidState
    (`invalid_state`) for a key revoked before, InvalidRequest (`invalid_request`) for an
    expiry not in the future.
    """
    now = clock.now()
    _check_expiry(expires_at, now)
    key_id, secret = _new_credentials()
    with uow:
        uow.lock_for_writing()
        old = _existing(uow, key_or_id)
        if old.revoked_at is not None:
            raise InvalidState(f"Key {old.id} was revoked; create a new key instead.",
                               key=old.id)
        if expires_at is None and old.expires_at is not None:
            expires_at = now + (old.expires_at - old.created_at)
        new = ApiKey(key_id, hash_secret(secret), old.role, old.terminal_id, now, old.label,
                     expires_at)
        _add_key(uow, new, actor, now, rotated_from=old.id)
        uow.keys.revoke(old.id, now)
        uow.journal.add(JournalEntry(JournalKind.KEY_ROTATED, old.terminal_id or "*", actor, now,
                                     subject=old.id, reason=reason,
                                     before={"state": str(old.state_at(now))},
                                     after={"state": str(KeyState.REVOKED),
                                            "replaced_by": new.id}))
        uow.commit()
    return f"{PREFIX}_{key_id}_{secret}", old


def _existing(uow: SqlUnitOfWork, key_or_id: str) -> ApiKey:
    key_id = key_id_of(key_or_id)
    key = uow.keys.get(key_id) if KEY_ID.fullmatch(key_id) else None
    if key is None:
        raise NotFound("There is no such key.", key=key_id if KEY_ID.fullmatch(key_id) else None)
    return key


def authenticate(presented: str | None, *, uow: SqlUnitOfWork, clock: Clock,
                 address: str | None = None, limits: AuthLimits | None = None) -> ApiKey:
    """Return the active key for a presented `cmx_<id>_<secret>`.

    Raises Unauthenticated (`unauthenticated`: no key, an unknown one, a wrong secret, a
    revoked or expired key; each but the first counted and journalled as a failure), and
    TooManyRequests (`too_many_requests`, details `retry_after` in seconds) while the key id or
    the `address` has had `limits` failures in the current window, whatever is presented.
    """
    if not presented:
        raise Unauthenticated("An API key is required: Authorization: Bearer <key>.")
    limits = limits or AuthLimits()
    prefix, _, rest = presented.partition("_")
    key_id, _, secret = rest.partition("_")
    if prefix != PREFIX or not KEY_ID.fullmatch(key_id) or not secret:
        key_id = None
    buckets = _buckets(key_id, address)
    now = clock.now()
    with uow:
        uow.read_once()
        key, blocked_until = uow.keys.lookup(key_id or "", [name for name, _ in buckets], now)
    if blocked_until is not None:
        raise _too_many(blocked_until, now)
    matches = hmac.compare_digest(key.secret_hash if key else _NO_KEY_HASH,
                                  hash_secret(secret or ""))
    if key is not None and matches and key.state_at(now) == KeyState.ACTIVE:
        return key
    problem = ("malformed" if key_id is None else "unknown_key" if key is None
               else "wrong_secret" if not matches else str(key.state_at(now)))
    _count_failure(problem, key_id, key if matches else None, address, buckets, uow=uow,
                   now=now, limits=limits)
    if problem in ("expired", "revoked"):
        raise Unauthenticated(f"This API key has been {problem}; ask for a new one.",
                              problem=problem)
    raise Unauthenticated("The API key is not valid.")


def _buckets(key_id: str | None, address: str | None) -> list[tuple[str, str]]:
    """Return (bucket, which limit) for the presented key id and the client's address."""
    buckets = []
    if key_id is not None:
        buckets.append((f"key:{key_id}", "key"))
    if address:
        buckets.append((f"address:{address[:64]}", "address"))
    return buckets


def _count_failure(problem: str, key_id: str | None, key: ApiKey | None, address: str | None,
                   buckets: list[tuple[str, str]], *, uow: SqlUnitOfWork, now: datetime,
                   limits: AuthLimits) -> None:
    """Count the failure in each bucket and journal it; journal a block once, when it starts.

    `key` is given only when the secret matched (an expired or revoked key): its terminal's
    journal gets the entry; otherwise it goes to the service-wide journal (`*`), so nobody
    without a key can write into a terminal's journal.
    """
    terminal = key.terminal_id if key is not None and key.terminal_id else "*"
    actor = f"address:{address}" if address else "unknown"
    details = {"problem": problem, "address": address}
    log.warning("authentication failed", extra={"event": "auth.failed", "problem": problem,
                                                "key_id": key_id, "address": address})
    with uow:
        uow.lock_for_writing()
        blocked = []
        for bucket, which in buckets:
            limit = limits.per_key if which == "key" else limits.per_address
            counted = uow.auth_failures.record(bucket, now, window=limits.window, limit=limit)
            details[f"{which}_failures"] = counted.failures
            if counted.newly_blocked:
                blocked.append((which, counted.blocked_until))
        uow.journal.add(JournalEntry(JournalKind.AUTHENTICATION_FAILED, terminal, actor, now,
                                     subject=key_id, details=details))
        for which, until in blocked:
            uow.journal.add(JournalEntry(
                JournalKind.AUTHENTICATION_LIMITED, terminal, actor, now, subject=key_id,
                details={"limit": which, "address": address, "until": until.isoformat()}))
            log.warning("authentication limited", extra={
                "event": "auth.limited", "limit": which, "key_id": key_id, "address": address,
                "until": until.isoformat()})
        uow.auth_failures.prune(now, window=limits.window)
        uow.commit()


def _too_many(blocked_until: datetime, now: datetime) -> TooManyRequests:
    retry_after = max(1, math.ceil((blocked_until - now).total_seconds()))
    return TooManyRequests(f"Too many failed authentications; try again in {retry_after} s.",
                           retry_after=retry_after)
