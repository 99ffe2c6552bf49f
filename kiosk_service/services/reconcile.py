"""Loads the device took that the books lack: a staff change reaches the device before the
database (the device must accept it first), so a process that dies between the two leaves the
device with the new load and the books with the old count. Found and adopted at start-up."""

from __future__ import annotations

import logging
from dataclasses import replace

from kiosk_service.devices import DispenserPool
from kiosk_service.hardware import DeviceStatus, DispenserError
from kiosk_service.hardware.clock import Clock
from kiosk_service.persistence.unit_of_work import SqlUnitOfWork
from kiosk_service.records import DispenseState, JournalEntry

log = logging.getLogger("cashmix.recovery")

REASON = ("the device holds a load the service did not record (the service stopped between "
          "loading the device and writing the change); the books follow the device")


def adopt_all(*, uow: SqlUnitOfWork, clock: Clock, devices: DispenserPool) -> list[str]:
    """Adopt unrecorded loads on every terminal; return "terminal/cassette" of each adopted.
    A device that cannot be opened is logged and left (its next change or audit shows it)."""
    with uow:
        terminal_ids = uow.terminals.ids()
    adopted = []
    for terminal_id in terminal_ids:
        with uow:
            terminal = uow.terminals.get(terminal_id)
        try:
            device = devices.get(terminal)
            with device.lock:
                adopted += [f"{terminal_id}/{c}" for c in adopt_loads(
                    terminal_id, device.driver.status(), uow=uow, clock=clock)]
        except DispenserError as error:
            log.warning("unrecorded loads not checked", extra={
                "event": "cassette.reconcile_skipped", "terminal": terminal_id,
                "error": error.code})
    return adopted


def adopt_loads(terminal_id: str, status: DeviceStatus, *, uow: SqlUnitOfWork,
                clock: Clock) -> list[str]:
    """Make the books follow each cassette the device shows freshly loaded (nothing out since
    its load) with another count than the books; journal each as `cassette_adjusted` by
    `recovery`. Nothing happens while a dispense is in flight. Return the cassette ids."""
    now = clock.now()
    with uow:
        terminal = uow.terminals.get_for_update(terminal_id)
        if any(d.state == DispenseState.IN_FLIGHT for d, _ in
               uow.dispenses.in_flight(terminal_id)):
            return []
        adopted = []
        for cassette in terminal.cassettes:
            try:
                unit = status.cassette(cassette.id)
            except KeyError:
                continue
            fresh = unit.counters.out == 0 and unit.shortfall == 0
            if not fresh or unit.count == cassette.count \
                    or unit.denomination != cassette.denomination:
                continue
            after = replace(cassette, count=unit.count)
            uow.terminals.save_cassette(terminal_id, after)
            uow.journal.add(JournalEntry(
                "cassette_adjusted", terminal_id, "recovery", now, subject=cassette.id,
                reason=REASON, before=_describe(cassette), after=_describe(after)))
            adopted.append(cassette.id)
        uow.commit()
    for cassette_id in adopted:
        log.warning("unrecorded load adopted", extra={
            "event": "cassette.load_adopted", "terminal": terminal_id, "cassette": cassette_id})
    return adopted


def _describe(cassette) -> dict:
    return {"denomination": cassette.denomination, "count": cassette.count,
            "capacity": cassette.capacity, "low_threshold": cassette.low_threshold,
            "status": str(cassette.status), "locked": cassette.locked}
