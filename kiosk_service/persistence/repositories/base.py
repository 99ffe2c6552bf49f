"""What every repository shares: its session, and plain Core statements on its connection."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session


class Repository:
    """A repository over the unit of work's session. The hot paths send prebuilt Core
    statements through `_execute`, without ORM bookkeeping per row."""

    def __init__(self, session: Session):
        self.session = session

    def _execute(self, statement: Any, parameters: Any = None) -> Any:
        # Pending ORM changes first, so the statement sees them.
        self.session.flush()
        return self.session.connection().execute(statement, parameters)
