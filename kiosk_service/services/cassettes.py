"""Cassettes (staff): read, replenish, recount, change denomination, take out of service.

Every change goes to the device first (it must know what is loaded) and then to the database
with a journal entry naming the actor, the reason, and the cassette before and after.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from denomination.cassettes import Cassette, CassetteStatus
from denomination.catalogue import default_catalogue
from denomination.errors import InvalidRequest
from kiosk_service.devices import DispenserPool
from kiosk_service.errors import DeviceError, InvalidState, NotFound
from kiosk_service.formatting import format_money
from kiosk_service.hardware import DispenserError
from kiosk_service.hardware.clock import Clock
from kiosk_service.persistence.unit_of_work import SqlUnitOfWork
from kiosk_service.records import JournalEntry
from kiosk_service.services.settlement import settle_output


@dataclass(frozen=True, slots=True)
class CassetteChange:
    """What staff change on a cassette; None leaves a field as it is. `replenish` is a load
    of fresh notes: `count` becomes the new count and the cassette is back in service (unless
    the device still reports it out of service after the load: the books follow it). `added`
    adds notes to the count as it stands under the row lock, so a dispense between the staff
    member's reading and the change is never overwritten."""

    reason: str
    count: int | None = None
    added: int | None = None
    denomination: int | None = None
    capacity: int | None = None
    low_threshold: int | None = None
    status: CassetteStatus | None = None
    locked: bool | None = None
    replenish: bool = False


@dataclass(frozen=True, slots=True)
class CassetteView:
    """A cassette and the notes quotes hold in it."""

    cassette: Cassette
    held: int


def list_cassettes(terminal_id: str, *, uow: SqlUnitOfWork, clock: Clock) -> list[CassetteView]:
    """Return the terminal's cassettes in order; raises NotFound (`not_found`)."""
    with uow:
        terminal = uow.terminals.get(terminal_id)
        held = uow.quotes.held_notes(terminal_id, at=clock.now())
    return [CassetteView(c, held.get(c.id, 0)) for c in terminal.cassettes]


def get_cassette(terminal_id: str, cassette_id: str, *, uow: SqlUnitOfWork,
                 clock: Clock) -> CassetteView:
    """Return one cassette; raises NotFound (`not_found`)."""
    for view in list_cassettes(terminal_id, uow=uow, clock=clock):
        if view.cassette.id == cassette_id:
            return view
    raise NotFound(f"Terminal {terminal_id} has no cassette {cassette_id}.", cassette=cassette_id)


def change_cassette(terminal_id: str, cassette_id: str, change: CassetteChange, *, actor: str,
                    uow: SqlUnitOfWork, clock: Clock, devices: DispenserPool,
                    require_change: bool = False) -> CassetteView:
    """Apply a staff change to the device and the database, journalled; return the cassette.

    Raises NotFound, InvalidRequest (`invalid_request`: a denomination the currency lacks, a
    count over capacity; with `require_change`, a change that alters nothing), InvalidState
    (`invalid_state`: notes wait at the output position),
    DeviceError (`device_error`: the device refused the load) and TerminalBusy
    (`terminal_busy`: another process drives the device past the lock timeout).
    """
    with uow:
        terminal = uow.terminals.get(terminal_id)
    with devices.cycle(terminal) as device:
        settle_output(terminal_id, device.driver, uow=uow, clock=clock)
        position = device.driver.status().position
        if not position.empty:
            raise InvalidState(f"notes wait at the output position ({position}); retract them "
                               "before changing a cassette", position=str(position))
        now = clock.now()
        with uow:
            terminal = uow.terminals.get_for_update(terminal_id)
            before = terminal.cassette(cassette_id)
            if before is None:
                raise NotFound(f"Terminal {terminal_id} has no cassette {cassette_id}.",
                               cassette=cassette_id)
            after = _changed(before, change)
            if require_change and after == before and not change.replenish:
                raise InvalidRequest("nothing changed", {"_form": ["nothing changed"]})
            try:
                loaded = device.driver.load([after])
            except DispenserError as error:
                raise DeviceError(f"the dispenser refused the change: {error.message}",
                                  device_code=error.code) from error
            kind = "cassette_replenished" if change.replenish else "cassette_adjusted"
            uow.journal.add(JournalEntry(kind, terminal_id, actor, now, subject=cassette_id,
                                         reason=change.reason, before=_describe(before),
                                         after=_describe(after)))
            after = _as_device_reports(after, loaded, terminal_id, actor=actor, uow=uow,
                                       now=now)
            uow.terminals.save_cassette(terminal_id, after)
            held = uow.quotes.held_notes(terminal_id, at=now).get(cassette_id, 0)
            uow.commit()
    return CassetteView(after, held)


def _as_device_reports(after: Cassette, loaded, terminal_id: str, *, actor: str,
                       uow: SqlUnitOfWork, now) -> Cassette:
    """Return `after` as the books must keep it: out of service when the device still reports
    the cassette so after the load (a jam a load does not clear, as on XFS4IoT, where only an
    exchange at the device does), journalled, so no quote plans from notes the device will
    refuse to pick."""
    try:
        reported = loaded.cassette(after.id).status if loaded is not None else after.status
    except KeyError:
        return after
    if after.status != CassetteStatus.OK or reported == CassetteStatus.OK:
        return after
    uow.journal.add(JournalEntry("cassette_status_changed", terminal_id, actor, now,
                                 subject=after.id, reason="reported by the dispenser after "
                                                          "the load",
                                 before={"status": str(after.status)},
                                 after={"status": str(reported)}))
    return replace(after, status=reported)


def _changed(cassette: Cassette, change: CassetteChange) -> Cassette:
    updates: dict[str, Any] = {k: v for k, v in (
        ("count", change.count), ("denomination", change.denomination),
        ("capacity", change.capacity), ("low_threshold", change.low_threshold),
        ("status", change.status), ("locked", change.locked)) if v is not None}
    if change.added is not None:
        updates["count"] = cassette.count + change.added
    if change.replenish:
        updates.setdefault("status", CassetteStatus.OK)
    after = replace(cassette, **updates)
    problems: dict[str, list[str]] = {}
    currency = default_catalogue().currency(after.currency)
    if after.denomination not in currency.notes:
        notes = ", ".join(f"{n} ({format_money(n, currency)})" for n in currency.notes)
        problems["denomination"] = [f"{after.denomination} is not a {currency.code} note; in "
                                    f"minor units the {currency.code} notes are {notes}"]
    if after.capacity is not None and after.count > after.capacity:
        problems["count"] = [f"{after.count} is over the capacity {after.capacity}"]
    if problems:
        raise InvalidRequest("the cassette change is invalid", problems)
    return after


def _describe(cassette: Cassette) -> dict[str, Any]:
    return {"denomination": cassette.denomination, "count": cassette.count,
            "capacity": cassette.capacity, "low_threshold": cassette.low_threshold,
            "status": str(cassette.status), "locked": cassette.locked}
