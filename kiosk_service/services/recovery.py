"""Recovery at start-up: settle dispenses a dead process left in flight, from the device."""

from __future__ import annotations

import logging
import os

from kiosk_service.devices import DispenserPool
from kiosk_service.errors import TerminalBusy
from kiosk_service.hardware import DispenserError
from kiosk_service.hardware.clock import Clock
from kiosk_service.persistence.unit_of_work import SqlUnitOfWork
from kiosk_service.records import Dispense
from kiosk_service.services.owners import alive_elsewhere
from kiosk_service.services.settlement import settle_abandoned

log = logging.getLogger("cashmix.recovery")


def recover_all(*, uow: SqlUnitOfWork, clock: Clock, devices: DispenserPool,
                owner: str) -> list[Dispense]:
    """Settle every terminal's abandoned in-flight dispenses; return them as recorded.

    A terminal another process is driving, or whose device cannot be opened, is left for
    later and logged: the next cycle on it settles what it finds (settle_abandoned).
    """
    with uow:
        terminal_ids = uow.terminals.ids()
    settled = []
    for terminal_id in terminal_ids:
        try:
            settled += recover_terminal(terminal_id, uow=uow, clock=clock, devices=devices,
                                        owner=owner)
        except (TerminalBusy, DispenserError) as error:
            log.warning("recovery postponed", extra={
                "event": "dispense.recovery_postponed", "terminal": terminal_id,
                "error": error.code})
    return settled


def abandoned(dispense_owner: str, owner: str) -> bool:
    """Return True when the process that owned a dispense is gone, as far as this host can
    tell by process ids alone (the terminal lock tells more: settle_abandoned).

    Owners are "host:pid:instance". Another host's owner cannot be seen from here; on this
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

    Only once the terminal's lock is free (a dead process's lock went with it, see
    terminal_locks.py): the device is brought back to a clean state first (reset after a
    power loss or jam, a stack still in the stacker to the reject bin, notes still presented
    retracted). No note is dispensed again: the quote counts as used whatever came out.
    Raises TerminalBusy while a live process drives the terminal, DispenserError when its
    device cannot be opened.
    """
    with uow:
        terminal = uow.terminals.get(terminal_id)
        waiting = [by for _, by in uow.dispenses.in_flight(terminal_id)
                   if not alive_elsewhere(by, owner)]
    if not waiting:
        return []
    with devices.cycle(terminal) as device:
        settled = settle_abandoned(terminal_id, device.driver, uow=uow, clock=clock,
                                   owner=owner)
    for dispense in settled:
        log.warning("in-flight dispense recovered", extra={
            "event": "dispense.recovered", "terminal": terminal_id, "dispense": dispense.id,
            "outcome": dispense.outcome, "shortfall": dispense.shortfall})
    return settled
