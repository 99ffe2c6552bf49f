"""Idempotency keys of dispenses."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import bindparam, insert, select

from kiosk_service.persistence.repositories.base import Repository
from kiosk_service.persistence.tables import IdempotencyRow

_KEYS = IdempotencyRow.__table__
# Prebuilt: both run on every dispense.
_FIND = select(_KEYS.c.request_hash, _KEYS.c.dispense_id).where(
    _KEYS.c.terminal_id == bindparam("terminal"), _KEYS.c.key == bindparam("key"))
_INSERT = insert(_KEYS)


class IdempotencyRepository(Repository):
    """Idempotency keys of dispenses: key -> body hash and the dispense it started."""

    def find(self, terminal_id: str, key: str) -> tuple[str, str] | None:
        """Return (request hash, dispense id) for the key, or None when it is new."""
        row = self._execute(_FIND, {"terminal": terminal_id, "key": key}).first()
        return None if row is None else (row.request_hash, row.dispense_id)

    def add(self, terminal_id: str, key: str, request_hash: str, dispense_id: str,
            at: datetime) -> None:
        """Remember that `key` with `request_hash` started `dispense_id`."""
        self._execute(_INSERT, {"terminal_id": terminal_id, "key": key,
                                "request_hash": request_hash, "dispense_id": dispense_id,
                                "created_at": at})
