"""`kiosk-service keys create|list|revoke|rotate`: API keys, journalled, secrets shown once."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import click

from denomination.errors import CashmixError
from kiosk_service.cli_deps import migrated_deps
from kiosk_service.records import ApiKey, Role

#: One part of a duration: 90d, 12h, 30m, 45s, 2w (parts may follow each other: 1h30m).
DURATION_PART = re.compile(r"(\d+)([smhdw])")
UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days", "w": "weeks"}


def parse_duration(text: str) -> timedelta:
    """Return the duration written as `90d`, `12h`, `1h30m` (units s, m, h, d, w)."""
    text = text.strip().lower()
    parts = DURATION_PART.findall(text)
    if not parts or "".join(n + u for n, u in parts) != text:
        raise click.BadParameter(f"{text!r} is not a duration like 90d, 12h or 1h30m "
                                 "(units s, m, h, d, w)")
    duration = timedelta()
    for number, unit in parts:
        duration += timedelta(**{UNITS[unit]: int(number)})
    if duration <= timedelta():
        raise click.BadParameter("the duration must be longer than zero")
    return duration


def parse_moment(text: str) -> datetime:
    """Return the ISO 8601 date or time `text` as aware UTC (no offset given: UTC)."""
    try:
        moment = datetime.fromisoformat(text.strip())
    except ValueError:
        raise click.BadParameter(f"{text!r} is not an ISO 8601 date or time like 2026-03-31 "
                                 "or 2026-03-31T18:00Z") from None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def _expiry(now: datetime, expires_in: timedelta | None,
            expires_at: datetime | None) -> datetime | None:
    if expires_in and expires_at:
        raise click.UsageError("give --expires-in or --expires-at, not both")
    return now + expires_in if expires_in else expires_at


def _expiry_options(command):
    command = click.option("--expires-at", default=None, metavar="WHEN",
                           callback=lambda _c, _p, value: value and parse_moment(value),
                           help="When the key stops working: ISO 8601, UTC unless an offset is "
                                "given (2026-03-31, 2026-03-31T18:00+01:00).")(command)
    return click.option("--expires-in", default=None, metavar="DURATION",
                        callback=lambda _c, _p, value: value and parse_duration(value),
                        help="How long the key works from now: 90d, 12h, 1h30m, 2w.")(command)




def _moment(moment: datetime | None) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%MZ") if moment else "-"


def _describe(key: ApiKey) -> str:
    return f"cmx_{key.id} ({key.role}, {key.terminal_id or 'all terminals'})"


@click.group()
def keys() -> None:
    """API keys: create, list, revoke, rotate (every change is journalled)."""


@keys.command("create")
@click.option("--role", required=True, type=click.Choice([r.value for r in Role]))
@click.option("--terminal", default=None, help="The terminal the key is for (kiosk: required).")
@click.option("--label", default="", help="Who or what holds the key.")
@_expiry_options
def create(role: str, terminal: str | None, label: str, expires_in: timedelta | None,
           expires_at: datetime | None) -> None:
    """Create an API key and print it; it is shown only this once."""
    from kiosk_service.services.keys import create_key

    with migrated_deps() as deps:
        expiry = _expiry(deps.clock.now(), expires_in, expires_at)
        try:
            key = create_key(Role(role), terminal, uow=deps.unit_of_work(), clock=deps.clock,
                             label=label, expires_at=expiry)
        except CashmixError as error:
            raise click.ClickException(error.message) from error
    click.echo(key)
    if expiry is not None:
        click.echo(f"expires {_moment(expiry)}", err=True)


@keys.command("list")
def list_() -> None:
    """List every key: id, role, terminal, label, created, expires, state (never a secret)."""
    from kiosk_service.services.keys import list_keys

    with migrated_deps() as deps:
        now = deps.clock.now()
        rows = [("KEY", "ROLE", "TERMINAL", "LABEL", "CREATED", "EXPIRES", "STATE")]
        for key in list_keys(uow=deps.unit_of_work()):
            state = key.state_at(now)
            if key.revoked_at is not None:
                state = f"{state} {_moment(key.revoked_at)}"
            rows.append((f"cmx_{key.id}", str(key.role), key.terminal_id or "*",
                         key.label or "-", _moment(key.created_at), _moment(key.expires_at),
                         str(state)))
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    for row in rows:
        click.echo("  ".join(cell.ljust(width) for cell, width in zip(row, widths,
                                                                      strict=True)).rstrip())


@keys.command("revoke")
@click.argument("key_or_id")
@click.option("--reason", default=None, help="Why, for the journal.")
def revoke(key_or_id: str, reason: str | None) -> None:
    """Revoke a key (cmx_<id>_<secret>, cmx_<id> or <id>): refused at once by every process."""
    from kiosk_service.services.keys import revoke_key

    with migrated_deps() as deps:
        try:
            key, revoked_now = revoke_key(key_or_id, uow=deps.unit_of_work(), clock=deps.clock,
                                          reason=reason)
        except CashmixError as error:
            raise click.ClickException(error.message) from error
    if revoked_now:
        click.echo(f"revoked {_describe(key)}")
    else:
        click.echo(f"{_describe(key)} was already revoked at {_moment(key.revoked_at)}")


@keys.command("rotate")
@click.argument("key_or_id")
@click.option("--reason", default=None, help="Why, for the journal.")
@_expiry_options
def rotate(key_or_id: str, reason: str | None, expires_in: timedelta | None,
           expires_at: datetime | None) -> None:
    """Replace a key by a new one with the same role, terminal and label, revoking the old one
    at once; print the new key (shown only this once). Without --expires-*, the new key lives
    as long as the old one was meant to."""
    from kiosk_service.services.keys import rotate_key

    with migrated_deps() as deps:
        expiry = _expiry(deps.clock.now(), expires_in, expires_at)
        try:
            new, old = rotate_key(key_or_id, uow=deps.unit_of_work(), clock=deps.clock,
                                  reason=reason, expires_at=expiry)
        except CashmixError as error:
            raise click.ClickException(error.message) from error
    click.echo(new)
    click.echo(f"revoked {_describe(old)}; the key above replaces it", err=True)
