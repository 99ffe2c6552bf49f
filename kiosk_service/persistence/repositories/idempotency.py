"""Idempotency keys of dispenses."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from kiosk_service.persistence.tables import IdempotencyRow


class IdempotencyRepository:
    """Idempotency keys of dispenses: key -> body hash and the dispense it started."""

    def __init__(self, session: Session):
        self.session = session

    def find(self, terminal_id: str, key: str) -> tuple[str, str] | None:
        """Return (request hash, dispense id) for the key, or None when it is new."""
        row = self.session.get(IdempotencyRow, (terminal_id, key))
        return None if row is None else (row.request_hash, row.dispense_id)

    def add(self, terminal_id: str, key: str, request_hash: str, dispense_id: str,
            at: datetime) -> None:
        """Remember that `key` with `request_hash` started `dispense_id`."""
        self.session.add(IdempotencyRow(terminal_id=terminal_id, key=key,
                                        request_hash=request_hash, dispense_id=dispense_id,
                                        created_at=at))
        self.session.flush()
