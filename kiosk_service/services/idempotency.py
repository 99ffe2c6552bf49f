"""Idempotent dispenses: one Idempotency-Key with one body starts at most one dispense, and the
same request again returns it without moving a note."""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict

from kiosk_service.errors import IdempotencyKeyRequired, IdempotencyKeyReused
from kiosk_service.persistence.unit_of_work import SqlUnitOfWork
from kiosk_service.records import Dispense, DispenseRequest

#: The longest Idempotency-Key accepted (the column's width).
MAX_KEY_LENGTH = 200


def check_key(key: str | None) -> str:
    """Return the key; raises IdempotencyKeyRequired when it is missing or too long."""
    if not key or len(key) > MAX_KEY_LENGTH:
        raise IdempotencyKeyRequired(
            "a dispense needs an Idempotency-Key header",
            {"Idempotency-Key": [f"required, at most {MAX_KEY_LENGTH} characters"]})
    return key


def request_hash(request: DispenseRequest) -> str:
    """Return the fingerprint of a dispense body, for idempotency."""
    return hashlib.sha256(json.dumps(asdict(request), sort_keys=True).encode()).hexdigest()


def earlier_dispense(uow: SqlUnitOfWork, terminal_id: str, key: str,
                     request: DispenseRequest) -> Dispense | None:
    """Return the dispense an earlier request with this key started, or None; call it inside
    the unit of work. Raises IdempotencyKeyReused (`idempotency_key_reused`) when the key
    came with another body."""
    seen = uow.idempotency.find(terminal_id, key)
    if seen is None:
        return None
    if seen[0] != request_hash(request):
        raise IdempotencyKeyReused("this Idempotency-Key was used with another body")
    return uow.dispenses.get(terminal_id, seen[1])
