"""Host authorizations already spent (replays are refused)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from kiosk_service.persistence.tables import UsedAuthorizationRow


class AuthorizationRepository:
    """Host authorizations already spent."""

    def __init__(self, session: Session):
        self.session = session

    def used(self, terminal_id: str, signature: str) -> bool:
        """Return True when the signature was spent before on the terminal (a signature
        covers its terminal id: on another terminal it is no authorization at all)."""
        return self.session.scalar(select(func.count()).select_from(UsedAuthorizationRow).where(
            UsedAuthorizationRow.terminal_id == terminal_id,
            UsedAuthorizationRow.signature == signature.lower())) > 0

    def per_quote(self, terminal_id: str) -> dict[str, int]:
        """Return quote id -> host authorizations spent on it, for the terminal."""
        query = (select(UsedAuthorizationRow.quote_id, func.count())
                 .where(UsedAuthorizationRow.terminal_id == terminal_id)
                 .group_by(UsedAuthorizationRow.quote_id))
        return {quote_id: int(n) for quote_id, n in self.session.execute(query)}

    def spend(self, terminal_id: str, quote_id: str, signature: str, at: datetime) -> None:
        """Record the signature as spent."""
        self.session.add(UsedAuthorizationRow(signature=signature.lower(),
                                              terminal_id=terminal_id, quote_id=quote_id,
                                              used_at=at))
        self.session.flush()
