"""Device-only steps every driver user needs: the dispense cycle (dispense -> present -> wait
for the take, retracting on timeout), completing it after a cassette fails, and bringing a
dispenser back to idle."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable

from kiosk_service.hardware.dispenser import Dispenser
from kiosk_service.hardware.errors import CashUnitError, DispenserError, ItemsTaken, NoItems
from kiosk_service.hardware.results import OperationResult
from kiosk_service.hardware.status import DeviceState, OutputPosition, ShutterState

log = logging.getLogger("cashmix.dispenses")


def clear_stack(driver: Dispenser) -> list[OperationResult]:
    """After a failed step: reset a device in error or with a jammed shutter, and send a
    stack left in the stacker to the reject bin; return what each step did. Presented notes
    are left where they are (the customer may still take them)."""
    done: list[OperationResult] = []
    status = driver.status()
    if status.device != DeviceState.ONLINE or status.shutter == ShutterState.JAMMED:
        done.append(driver.reset())
        status = driver.status()
    if status.position == OutputPosition.STACKED:
        done.append(driver.reject())
    return done


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


def drive(driver: Dispenser, counts: dict[str, int], amount: int, *, take_timeout: float,
           replan: Callable[[str | None], dict[str, int] | None] | None) -> str | None:
    """Run the device cycle; return the error code of what went wrong, or None."""
    error = None
    try:
        driver.dispense(counts, amount=amount)
    except DispenserError as failure:
        if failure.result is None:
            return failure.code                     # refused up front: nothing moved
        error = failure.code
        reset_if_needed(driver)
        if isinstance(failure, CashUnitError) and replan is not None:
            error = complete(driver, amount, replan(failure.cassette)) or error
    except Exception:
        log.exception("dispense crashed", extra={"event": "dispense.crashed"})
        return "internal_error"
    if driver.status().position != OutputPosition.STACKED:
        return error or "no_items"
    try:
        driver.present()
        if take_timeout > 0:
            driver.wait_for_take(take_timeout)
    except DispenserError as failure:
        clear_stack(driver)
        return failure.code
    return error


def complete(driver: Dispenser, amount: int, counts: dict[str, int] | None) -> str | None:
    """Replace a partial stack by a full one from `counts`; return an error code or None."""
    if counts is None:
        return None
    if driver.status().position == OutputPosition.STACKED:
        driver.reject()
    try:
        driver.dispense(counts, amount=amount)
    except DispenserError as failure:
        reset_if_needed(driver)
        return failure.code
    return "completed_after_jam"


def reset_if_needed(driver: Dispenser) -> None:
    """Reset the device when it is not online (after a jam or a power loss)."""
    if driver.status().device != DeviceState.ONLINE:
        driver.reset()
