"""Recovery at start-up: settle dispenses a dead process left in flight, from the device."""

from __future__ import annotations

import logging
import os

from kiosk_service.devices import DispenserPool
from kiosk_service.hardware.clock import Clock
from kiosk_service.hardware.cycle import bring_to_idle
from kiosk_service.persistence.unit_of_work import SqlUnitOfWork
from kiosk_service.records import Dispense
from kiosk_service.services.dispenses import finish

log = logging.getLogger("cashmix.recovery")


def recover_all(*, uow: SqlUnitOfWork, clock: Clock, devices: DispenserPool,
                owner: str) -> list[Dispense]:
    """Settle every terminal's abandoned in-flight dispenses; return them as recorded."""
    with uow:
        terminal_ids = uow.terminals.ids()
    settled = []
    for terminal_id in terminal_ids:
        settled += recover_terminal(terminal_id, uow=uow, clock=clock, devices=devices,
                                    owner=owner)
    return settled


def abandoned(dispense_owner: str, owner: str) -> bool:
    """Return True when the process that owned a dispense is gone.

    Owners are "host:pid:instance". Another host's dispenses are its own to recover; on this
    host an owner is gone when its process is, or when it was an earlier app in this process.
    """
    host, _, rest = dispense_owner.partition(":")
    pid, _, instance = rest.partition(":")
    my_host, _, my_rest = owner.partition(":")
    if host != my_host or not pid.isdigit():
        return False
    if int(pid) == os.getpid():
        return dispense_owner != owner
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    return False


def recover_terminal(terminal_id: str, *, uow: SqlUnitOfWork, clock: Clock,
                     devices: DispenserPool, owner: str) -> list[Dispense]:
    """Settle the terminal's in-flight dispenses from the device's counters; return them.

    The device is brought back to a clean state first: reset after a power loss or jam, a
    stack still in the stacker goes to the reject bin, notes still presented are retracted.
    No note is dispensed again: the quote counts as used whatever came out.
    """
    with uow:
        terminal = uow.terminals.get(terminal_id)
        in_flight = [dispense for dispense, by in uow.dispenses.in_flight(terminal_id)
                     if abandoned(by, owner)]
    if not in_flight:
        return []
    device = devices.get(terminal)
    settled = []
    with device.lock:
        driver = device.driver
        bring_to_idle(driver)
        status = driver.status()
        for dispense in in_flight:
            settled.append(finish(terminal_id, dispense.id, status, error="recovered",
                                  actor="recovery", kind="dispense_recovered", uow=uow,
                                  clock=clock, only_in_flight=True))
    for dispense in settled:
        log.warning("in-flight dispense recovered", extra={
            "event": "dispense.recovered", "terminal": terminal_id, "dispense": dispense.id,
            "outcome": dispense.outcome, "shortfall": dispense.shortfall})
    return settled
