"""Terminals: import from a terminal file, read status, and what can be paid now."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from denomination import dispensable_amounts
from denomination.cassettes import CassetteStatus, FillLevel
from denomination.catalogue import default_catalogue
from denomination.dispensable import DispensableAmounts
from denomination.errors import InvalidRequest
from kiosk_service.devices import DispenserPool
from kiosk_service.hardware import DispenserError
from kiosk_service.hardware.clock import Clock
from kiosk_service.persistence.unit_of_work import SqlUnitOfWork
from kiosk_service.records import JournalEntry, Terminal


@dataclass(frozen=True, slots=True)
class TerminalView:
    """A terminal as staff and kiosks see it: cassettes, notes held by quotes, the device."""

    terminal: Terminal
    held: dict[str, int]
    device: dict[str, Any]


def import_terminal(terminal: Terminal, *, uow: SqlUnitOfWork, clock: Clock,
                    actor: str = "cli") -> Terminal:
    """Create or replace a terminal from its (validated) file; journal before and after."""
    now = clock.now()
    with uow:
        uow.lock_for_writing()
        before = uow.terminals.get(terminal.id) if uow.terminals.exists(terminal.id) else None
        uow.terminals.save(terminal)
        uow.journal.add(JournalEntry("terminal_imported", terminal.id, actor, now,
                                     subject=terminal.id,
                                     before=None if before is None else describe(before),
                                     after=describe(terminal)))
        uow.commit()
    return terminal


def find_terminal(terminal_id: str, *, uow: SqlUnitOfWork) -> Terminal | None:
    """Return the live terminal as stored (its configuration and counts), or None."""
    with uow:
        return uow.terminals.get(terminal_id) if uow.terminals.exists(terminal_id) else None


def terminal_view(terminal_id: str, *, uow: SqlUnitOfWork, clock: Clock,
                  devices: DispenserPool) -> TerminalView:
    """Return the terminal with its holds and device state; raises NotFound (`not_found`)."""
    with uow:
        terminal = uow.terminals.get(terminal_id)
        held = uow.quotes.held_notes(terminal_id, at=clock.now())
    return TerminalView(terminal, held, device_health(terminal, devices))


def device_health(terminal: Terminal, devices: DispenserPool) -> dict[str, Any]:
    """Return {"reachable", "state", "position"} of the terminal's dispenser."""
    try:
        device = devices.get(terminal)
    except DispenserError as error:
        return {"reachable": False, "state": None, "position": None, "error": error.code}
    try:
        with device.lock:
            status = device.driver.status()
    except DispenserError as error:
        device.record(error.code)
        return {"reachable": False, "state": None, "position": None, "error": error.code}
    device.record(None)
    return {"reachable": True, "state": str(status.device), "position": str(status.position),
            "error": None}


def dispensable(terminal_id: str, currency: str | None, *, uow: SqlUnitOfWork,
                clock: Clock) -> DispensableAmounts:
    """Return the amounts payable now, for the policy's default kind, from the notes no quote
    holds and the reserve does not keep back; raises NotFound and InvalidRequest
    (`invalid_request`) for another currency than the terminal's."""
    with uow:
        terminal = uow.terminals.get(terminal_id)
        held = terminal.cassettes_less(uow.quotes.held_notes(terminal_id, at=clock.now()))
    policy = terminal.dispensing
    free = policy.cassettes_for(policy.admit(None), held)
    if currency not in (None, terminal.currency):
        raise InvalidRequest("the terminal pays another currency",
                             {"currency": [f"terminal {terminal.id} pays {terminal.currency}"]})
    stock = sum(c.denomination * c.count for c in free if c.dispensable)
    return dispensable_amounts(terminal.currency, free, max_notes=terminal.note_limit,
                               ceiling=min(stock, max(c.denomination for c in free)
                                           * terminal.note_limit))


def describe(terminal: Terminal) -> dict[str, Any]:
    """Return the journal form of a terminal's configuration."""
    return {"name": terminal.name, "currency": terminal.currency,
            "note_limit": terminal.note_limit, "host_secret_env": terminal.host_secret_env,
            "dispenser": terminal.dispenser_url, "region": terminal.region,
            "policy": terminal.dispensing.to_mapping(
                default_catalogue().currency(terminal.currency)),
            "cassettes": {c.id: {"denomination": c.denomination, "count": c.count,
                                 "status": str(c.status)} for c in terminal.cassettes}}


@dataclass(frozen=True, slots=True)
class TerminalPage:
    """One page of terminals by id, and how many match in all."""

    items: list[Terminal]
    page: int
    page_size: int
    total: int


def list_terminals(*, uow: SqlUnitOfWork, region: str | None = None, only: str | None = None,
                   page: int = 1, page_size: int = 50) -> TerminalPage:
    """Return a page of the terminals (those in `region`; just `only` for a key bound to one
    terminal), ordered by id. No device is read: a fleet page costs two statements."""
    with uow:
        items, total = uow.terminals.page(region=region, only=only, page=page,
                                          page_size=page_size)
    return TerminalPage(items, page, page_size, total)


def warnings(terminal: Terminal) -> list[dict[str, str]]:
    """Return what staff should look at: each cassette that is empty, low, out of service
    or locked, as {"cassette", "code", "message"}."""
    found = []
    for c in terminal.cassettes:
        if c.status != CassetteStatus.OK:
            found.append((c.id, "inoperative", f"cassette {c.id} is {c.status}"))
        if c.locked:
            found.append((c.id, "locked", f"cassette {c.id} is locked"))
        if c.fill == FillLevel.EMPTY:
            found.append((c.id, "empty", f"cassette {c.id} is empty"))
        elif c.fill == FillLevel.LOW:
            found.append((c.id, "low", f"cassette {c.id} is low ({c.count} notes, threshold "
                                       f"{c.low_threshold})"))
    return [{"cassette": cid, "code": code, "message": message} for cid, code, message in found]
