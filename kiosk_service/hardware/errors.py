"""Dispenser errors: one class per stable code, and the table from XFS4IoT names to our codes."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from denomination.errors import CashmixError

if TYPE_CHECKING:
    from kiosk_service.hardware.results import OperationResult


class DispenserError(CashmixError):
    """Base of every dispenser error.

    `result` is the partial OperationResult when notes moved before the failure (read it: it
    says where every note went); None when the device refused before anything moved.
    `cassette` names the cassette at fault, where there is one.
    """

    code = "dispenser_error"

    def __init__(self, message: str, *, result: OperationResult | None = None,
                 cassette: str | None = None, **details: Any):
        super().__init__(message, cassette=cassette, **details)
        self.result = result
        self.cassette = cassette


class DriverURLError(DispenserError):
    """The driver URL names an unknown scheme, an unknown option or a bad option value."""

    code = "invalid_driver_url"


class InvalidUnit(DispenserError):
    """A load the device cannot take: unknown or repeated id, count over capacity, bad values."""

    code = "invalid_unit"


class NotDispensableByDevice(DispenserError):
    """The plan names a cassette the device does not have, or more notes than it holds."""

    code = "not_dispensable"


class InvalidDenomination(DispenserError):
    """The plan has a negative or zero count, or its notes do not add up to the given amount."""

    code = "invalid_denomination"


class TooManyItems(DispenserError):
    """The plan needs more notes than the device dispenses at once (`max_dispense_items`)."""

    code = "too_many_items"


class CashUnitError(DispenserError):
    """A cassette cannot give notes: inoperative, missing, locked, jammed or found empty.

    Raised before picking (result None) when the plan needs such a cassette, and part-way
    through a dispense (result = how far it got) when a cassette jams or runs out early.
    """

    code = "cash_unit_error"


class ItemsLeft(DispenserError):
    """Notes wait in the stacker or at the position from an earlier operation."""

    code = "items_left"


class NoItems(DispenserError):
    """Nothing to present, reject, retract or wait for."""

    code = "no_items"


class ShutterNotOpen(DispenserError):
    """The shutter failed to open on present: the notes stay stacked; reject or reset."""

    code = "shutter_not_open"


class ItemsTaken(DispenserError):
    """A retract found the customer had already taken the notes; result records the take."""

    code = "items_taken"


class SequenceError(DispenserError):
    """The previous stack's outcome was never collected: a take has not been reported yet.

    Call wait_for_take() to collect it before the next dispense or load.
    """

    code = "sequence_error"


class DeviceNotReady(DispenserError):
    """The device is in a hardware error or lost power: call reset() first."""

    code = "device_not_ready"


class HardwareError(DispenserError):
    """The device failed mid-operation for a reason other than a cassette."""

    code = "hardware_error"


class PowerFailure(HardwareError):
    """Power was lost mid-operation. The device keeps its counters; reset() reports the rest."""

    code = "power_failure"


#: XFS4IoT errorCode / completionCode -> our error class (and so its code). One table.
XFS_ERRORS: dict[str, type[DispenserError]] = {
    "notDispensable": NotDispensableByDevice,
    "invalidDenomination": InvalidDenomination,
    "tooManyItems": TooManyItems,
    "cashUnitError": CashUnitError,
    "itemsLeft": ItemsLeft,
    "noItems": NoItems,
    "shutterNotOpen": ShutterNotOpen,
    "itemsTaken": ItemsTaken,
    "invalidUnit": InvalidUnit,
    "deviceNotReady": DeviceNotReady,
    "sequenceError": SequenceError,
    "hardwareError": HardwareError,
}

#: Every error code a dispenser may raise, for documentation and the service's error mapping.
ERROR_CODES: tuple[str, ...] = tuple(sorted(
    {cls.code for cls in XFS_ERRORS.values()}
    | {DispenserError.code, DriverURLError.code, PowerFailure.code}))
