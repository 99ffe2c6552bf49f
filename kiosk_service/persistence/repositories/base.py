"""What every repository shares: its session, and plain Core statements on its connection."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from sqlalchemy import Connection
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import Session
from sqlalchemy.sql.dml import UpdateBase


class Repository:
    """A repository over the unit of work's session. The hot paths send prebuilt Core
    statements through `_execute`, without ORM bookkeeping per row, and the hottest writes
    through `_send` (DriverStatement)."""

    def __init__(self, session: Session):
        self.session = session

    def _execute(self, statement: Any, parameters: Any = None) -> Any:
        # Pending ORM changes first, so the statement sees them.
        self.session.flush()
        return self.session.connection().execute(statement, parameters)

    def _send(self, statement: DriverStatement, rows: Sequence[Mapping[str, Any]]) -> None:
        self.session.flush()
        statement.send(self.session.connection(), rows)


class DriverStatement:
    """A prebuilt INSERT or UPDATE sent with `exec_driver_sql`: compiled once per dialect, each
    value converted by its column type's own bind processor, as an execution of the statement
    would; what is skipped is SQLAlchemy's work per execution (the compiled-cache lookup, the
    execution context, the result set-up), which costs more than SQLite's. Events, logging
    and error wrapping stay. Every value is the caller's, by name: no literals, no lists."""

    def __init__(self, statement: UpdateBase):
        self.statement = statement
        self._compiled: dict[str, tuple[str, tuple[str, ...] | None,
                                        dict[str, Callable[[Any], Any]]]] = {}

    def send(self, connection: Connection, rows: Sequence[Mapping[str, Any]]) -> None:
        """Execute for each of `rows` (parameter name -> value), as one executemany."""
        sql, order, processors = (self._compiled.get(connection.dialect.name)
                                  or self._compile(connection.dialect))

        def converted(row: Mapping[str, Any]) -> Any:
            if order is not None:
                return tuple(processors[name](row[name]) if name in processors else row[name]
                             for name in order)
            return {name: processors[name](value) if name in processors else value
                    for name, value in row.items()}

        parameters = [converted(row) for row in rows]
        connection.exec_driver_sql(sql, parameters if len(parameters) > 1 else parameters[0])

    def _compile(self, dialect: Dialect) -> tuple[str, tuple[str, ...] | None, dict]:
        compiled = self.statement.compile(dialect=dialect)
        if compiled.escaped_bind_names or any(
                bind.expanding or bind.literal_execute or bind.value is not None
                for bind in compiled.binds.values()):
            raise TypeError(f"not a statement of named values only: {compiled.string}")
        processors = {name: processor for name, bind in compiled.binds.items()
                      if (processor := bind.type.dialect_impl(dialect).bind_processor(dialect))}
        order = tuple(compiled.positiontup) if compiled.positional else None
        self._compiled[dialect.name] = found = (compiled.string, order, processors)
        return found
