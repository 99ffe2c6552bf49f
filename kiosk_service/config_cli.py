"""`kiosk-service config validate|export|diff`: terminal files checked, written and compared."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from kiosk_service.cli_deps import migrated_deps
from kiosk_service.errors import TerminalConfigError
from kiosk_service.records import Terminal


@click.group()
def config() -> None:
    """Terminal files: validate, export the live configuration, diff before importing."""


@config.command()
@click.argument("files", nargs=-1, required=True, type=click.Path(dir_okay=False))
def validate(files: tuple[str, ...]) -> None:
    """List every problem of every terminal FILE (file:line: field: problem); exit 1 if any."""
    failed = False
    for path in files:
        if _load(path) is None:
            failed = True
        else:
            click.echo(f"{path}: ok")
    if failed:
        sys.exit(1)


@config.command()
@click.argument("terminal")
@click.option("--output", "-o", type=click.Path(dir_okay=False), default=None,
              help="Write to this file instead of standard output.")
def export(terminal: str, output: str | None) -> None:
    """Write the live configuration of TERMINAL as a terminal file (it re-imports as it is)."""
    from kiosk_service.services.terminals import find_terminal
    from kiosk_service.terminal_toml import to_toml

    with migrated_deps() as deps:
        live = find_terminal(terminal, uow=deps.unit_of_work())
    if live is None:
        raise click.ClickException(f"There is no terminal {terminal} in the database.")
    if output is None:
        click.echo(to_toml(live), nl=False)
    else:
        Path(output).write_text(to_toml(live), encoding="utf-8")
        click.echo(f"wrote {output}", err=True)


@config.command("diff")
@click.argument("file", type=click.Path(dir_okay=False))
def diff_(file: str) -> None:
    """Show what `terminals import FILE` would change in the live terminal; nothing is applied."""
    from kiosk_service.services.terminals import find_terminal
    from kiosk_service.terminal_toml import diff

    incoming = _load(file)
    if incoming is None:
        sys.exit(1)
    with migrated_deps() as deps:
        live = find_terminal(incoming.id, uow=deps.unit_of_work())
    changes = diff(live, incoming)
    if live is None:
        click.echo(f"{incoming.id}: a new terminal")
    elif not changes:
        click.echo(f"{incoming.id}: no changes")
        return
    else:
        click.echo(f"{incoming.id}: {len(changes)} change(s)")
    for change in changes:
        click.echo(f"  {change}")


def _load(path: str) -> Terminal | None:
    """Return the terminal of a valid file; else print its problems and return None."""
    from kiosk_service.terminal_files import load_terminal_file
    from kiosk_service.terminal_toml import line_of

    try:
        return load_terminal_file(path)
    except TerminalConfigError as error:
        try:
            text = Path(path).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError):
            text = ""
        click.echo(f"{path}: invalid ({sum(map(len, error.errors.values()))} problem(s))",
                   err=True)
        found = sorted(((line_of(text, where) if text else None) or 0, where, problem)
                       for where, problems in error.errors.items() for problem in problems)
        for line, where, problem in found:
            at = f"{path}:{line}" if line else path
            click.echo(f"  {at}: {where}: {problem}", err=True)
        return None
