"""Recovery at start-up: settle dispenses a dead process left in flight, from the device."""

from __future__ import annotations

import contextlib
import logging

from kiosk_service.devices import DispenserPool
from kiosk_service.hardware import DeviceState, ItemsTaken, NoItems, OutputPosition
from kiosk_service.hardware.clock import Clock
from kiosk_service.persistence.unit_of_work import SqlUnitOfWork
from kiosk_service.records import Dispense
from kiosk_service.services.dispenses import finish

log = logging.getLogger("cashmix.recovery")


def recover_all(*, uow: SqlUnitOfWork, clock: Clock, devices: DispenserPool) -> list[Dispense]:
    """Settle every terminal's in-flight dispenses; return them as recorded."""
    with uow:
        terminal_ids = uow.terminals.ids()
    settled = []
    for terminal_id in terminal_ids:
        settled += recover_terminal(terminal_id, uow=uow, clock=clock, devices=devices)
    return settled


def recover_terminal(terminal_id: str, *, uow: SqlUnitOfWork, clock: Clock,
                     devices: DispenserPool) -> list[Dispense]:
    """Settle the terminal's in-flight dispenses from the device's counters; return them.

    The device is brought back to a clean state first: reset after a power loss or jam, a
    stack still in the stacker goes to the reject bin, notes still presented are retracted.
    No note is dispensed again: the quote counts as used whatever came out.
    """
    with uow:
        terminal = uow.terminals.get(terminal_id)
        in_flight = uow.dispenses.in_flight(terminal_id)
    if not in_flight:
        return []
    device = devices.get(terminal)
    settled = []
    with device.lock:
        driver = device.driver
        if driver.status().device != DeviceState.ONLINE:
            driver.reset()
        position = driver.status().position
        if position == OutputPosition.STACKED:
            driver.reject()
        elif position == OutputPosition.PRESENTED:
            with contextlib.suppress(ItemsTaken, NoItems):
                driver.retract()
        status = driver.status()
        for dispense in in_flight:
            settled.append(finish(terminal_id, dispense.id, status, error="recovered",
                                  actor="recovery", kind="dispense_recovered", uow=uow,
                                  clock=clock))
    for dispense in settled:
        log.warning("in-flight dispense recovered", extra={
            "event": "dispense.recovered", "terminal": terminal_id, "dispense": dispense.id,
            "outcome": dispense.outcome, "shortfall": dispense.shortfall})
    return settled
