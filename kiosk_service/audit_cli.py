"""`kiosk-service audit`: the ledger check on the service's database and its devices."""

from __future__ import annotations

import sys
from datetime import timedelta

import click

from denomination.errors import CashmixError
from kiosk_service.services.audit import GRACE, BinCheck, audit_all


@click.command()
@click.option("--terminal", default=None, help="Audit this terminal only (default: every one).")
@click.option("--grace", default=int(GRACE.total_seconds()), show_default=True, type=int,
              help="Seconds a dispense may stay in flight before it counts as stuck.")
@click.option("--bins", default=BinCheck.AT_LEAST.value, show_default=True,
              type=click.Choice([b.value for b in BinCheck]),
              help="Compare the device's bins with the dispenses: exactly (bins never "
                   "emptied), at least what the dispenses put there, or not at all.")
@click.option("--no-device", is_flag=True, help="Check the database only.")
def audit(terminal: str | None, grace: int, bins: str, no_device: bool) -> None:
    """Check that every note loaded is in a cassette, a bin or with a customer, that the
    service's counts equal the device's and the journal's, that no quote was paid twice and
    no dispense is stuck in flight. Prints every discrepancy and exits 1, or one summary line
    per terminal."""
    from kiosk_service.app import create_app

    deps = create_app({"RECOVER_ON_START": False}).extensions["cashmix"]
    try:
        if not deps.schema_ready():
            raise click.ClickException("the database is not migrated; run "
                                       "`kiosk-service db upgrade`")
        audits = audit_all(uow=deps.unit_of_work(), clock=deps.clock,
                           devices=None if no_device else deps.devices, terminal_id=terminal,
                           grace=timedelta(seconds=grace), bins=BinCheck(bins))
    except CashmixError as error:
        raise click.ClickException(error.message) from error
    finally:
        deps.close()
    failed = False
    for checked in audits:
        if checked.ok:
            click.echo(checked.summary())
            continue
        failed = True
        click.echo(f"{checked.terminal_id}: {len(checked.discrepancies)} discrepancies")
        for problem in checked.discrepancies:
            click.echo(f"  - {problem}")
    if failed:
        sys.exit(1)
