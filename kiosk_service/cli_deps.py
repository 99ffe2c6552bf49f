"""The service's dependencies for a command-line tool: built, checked, closed."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import click


@contextmanager
def migrated_deps() -> Iterator:
    """Yield the app's Dependencies (no start-up recovery); ClickException when the database
    is not migrated. Closed afterwards."""
    from kiosk_service.app import create_app

    deps = create_app({"RECOVER_ON_START": False}).extensions["cashmix"]
    try:
        if not deps.schema_ready():
            raise click.ClickException("the database is not migrated; run "
                                       "`kiosk-service db upgrade`")
        yield deps
    finally:
        deps.close()
