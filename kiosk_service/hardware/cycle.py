"""Device-only steps every driver user needs: bring a dispenser back to idle."""

from __future__ import annotations

import contextlib

from kiosk_service.hardware.dispenser import Dispenser
from kiosk_service.hardware.errors import ItemsTaken, NoItems
from kiosk_service.hardware.results import OperationResult
from kiosk_service.hardware.status import DeviceState, OutputPosition


def bring_to_idle(driver: Dispenser) -> list[OperationResult]:
    """Reset a device in error, reject a stack still in the stacker, retract notes still
    presented and collect an unreported take; return what each step did, in order.

    Afterwards the output position is empty and nothing is owed to a caller. No note moves
    towards a customer: presented notes go back in (or are reported taken, if they were).
    """
    done: list[OperationResult] = []
    if driver.status().device != DeviceState.ONLINE:
        done.append(driver.reset())
    position = driver.status().position
    if position == OutputPosition.STACKED:
        done.append(driver.reject())
    elif position == OutputPosition.PRESENTED:
        try:
            done.append(driver.retract())
        except ItemsTaken as taken:
            done.append(taken.result)
        except NoItems:
            pass
    if driver.status().position == OutputPosition.TAKEN:
        with contextlib.suppress(NoItems):
            done.append(driver.wait_for_take(0, retract_on_timeout=False))
    return done
