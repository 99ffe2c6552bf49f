"""Host authorizations already spent (replays are refused)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import bindparam, func, insert, select

from kiosk_service.persistence.repositories.base import Repository
from kiosk_service.persistence.tables import UsedAuthorizationRow

_USED_AUTHORIZATIONS = UsedAuthorizationRow.__table__
# Prebuilt: both run on every dispense.
_USED = select(_USED_AUTHORIZATIONS.c.signature).where(
    _USED_AUTHORIZATIONS.c.terminal_id == bindparam("terminal"),
    _USED_AUTHORIZATIONS.c.signature == bindparam("signature"))
_SPEND = insert(_USED_AUTHORIZATIONS)


class AuthorizationRepository(Repository):
    """Host authorizations already spent."""

    def used(self, terminal_id: str, signature: str) -> bool:
        """Return True when the signature was spent before on the terminal (a signature
        covers its terminal id: on another terminal it is no authorization at all)."""
        return self._execute(_USED, {"terminal": terminal_id,
                                     "signature": signature.lower()}).first() is not None

    def per_quote(self, terminal_id: str) -> dict[str, int]:
        """Return quote id -> host authorizations spent on it, for the terminal."""
        query = (select(UsedAuthorizationRow.quote_id, func.count())
                 .where(UsedAuthorizationRow.terminal_id == terminal_id)
                 .group_by(UsedAuthorizationRow.quote_id))
        return {quote_id: int(n) for quote_id, n in self.session.execute(query)}

    def spend(self, terminal_id: str, quote_id: str, signature: str, at: datetime) -> None:
        """Record the signature as spent."""
        self._execute(_SPEND, {"signature": signature.lower(), "terminal_id": terminal_id,
                               "quote_id": quote_id, "used_at": at})
