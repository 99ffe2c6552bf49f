"""What a Common.Status completion says, in the driver interface's words: the device's state,
the intermediate stacker and output position, the shutter."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from kiosk_service.hardware.status import DeviceState, ShutterState

_DEVICE_STATES = {"online": DeviceState.ONLINE, "deviceBusy": DeviceState.ONLINE,
                  "powerOff": DeviceState.POWER_OFF}


def device_state(common: Mapping[str, Any]) -> DeviceState:
    """Return the device's state; anything but online, busy or powered off is a hardware
    error."""
    device = (common.get("common") or {}).get("device")
    return _DEVICE_STATES.get(device, DeviceState.HARDWARE_ERROR)


def stacker_and_position(common: Mapping[str, Any]) -> tuple[str | None, str | None]:
    """Return the intermediate stacker's and the first output position's status (`empty`,
    `notEmpty`, ...; None when the device does not say)."""
    dispenser = common.get("cashDispenser") or {}
    positions = dispenser.get("positions") or [{}]
    return dispenser.get("intermediateStacker"), (positions[0] or {}).get("positionStatus")


def shutter(common: Mapping[str, Any]) -> ShutterState:
    """Return the first output position's shutter (closed when the device does not say)."""
    positions = (common.get("cashDispenser") or {}).get("positions") or [{}]
    state = str((positions[0] or {}).get("shutter") or "closed")
    if state.startswith("jammed"):
        return ShutterState.JAMMED
    return ShutterState.OPEN if state == "open" else ShutterState.CLOSED
