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


class ConfigurationMismatch(DispenserError):
    """The device's units disagree with the terminal file (currency, denomination, missing
    unit): refused when the device is opened, so no wrong note is ever dispensed."""

    code = "configuration_mismatch"


class DeviceUnreachable(DispenserError):
    """The driver cannot reach the device (connection refused or lost and not regained)."""

    code = "device_unreachable"


class CommandTimeout(DispenserError):
    """The device did not complete a command within its timeout (XFS4IoT `timeOut`)."""

    code = "time_out"


class Canceled(DispenserError):
    """The command was cancelled (XFS4IoT `canceled`)."""

    code = "canceled"


class UnsupportedCommand(DispenserError):
    """The device does not support a command or its version (XFS4IoT `unsupportedCommand`)."""

    code = "unsupported_command"


class InvalidData(DispenserError):
    """The device found the command malformed or its data unusable (XFS4IoT `invalidData`,
    `invalidCommand`, `unsupportedData` and the command codes of the same meaning)."""

    code = "invalid_data"


class InternalError(DispenserError):
    """The device's service failed internally (XFS4IoT `internalError`)."""

    code = "internal_error"


class AuthorisationRequired(DispenserError):
    """The device wants end-to-end security this driver does not give (a token or nonce)."""

    code = "authorisation_required"


class FraudAttempt(DispenserError):
    """The device detected a fraud attempt (XFS4IoT `fraudAttempt`)."""

    code = "fraud_attempt"


class UserError(DispenserError):
    """A person is in the way of the device (XFS4IoT `userError`)."""

    code = "user_error"


class DeviceBusy(DispenserError):
    """The device refused more requests for now (acknowledge `tooManyRequests`)."""

    code = "device_busy"


class ExchangeActive(DispenserError):
    """Staff are exchanging cassettes (XFS4IoT `exchangeActive`): no dispensing until done."""

    code = "exchange_active"


class ShutterOpen(DispenserError):
    """The shutter is open where it must be closed (XFS4IoT `shutterOpen`,
    `shutterNotClosed`)."""

    code = "shutter_open"


class SafeDoorOpen(DispenserError):
    """The safe door is open (XFS4IoT `safeDoorOpen`)."""

    code = "safe_door_open"


class PresentError(DispenserError):
    """Presenting failed with the notes' whereabouts in doubt (XFS4IoT `presentErrorItems`,
    `presentErrorUnknown`): status() says where they are."""

    code = "present_error"


class RetractError(DispenserError):
    """A retract did not finish (XFS4IoT `incompleteRetract`, `foreignItemsDetected`, ...)."""

    code = "retract_error"


#: XFS4IoT completionCode / errorCode / acknowledge status -> our error class (and so its
#: code). The one table: every code of the 2021-1 and 2024-3 messages the drivers use.
XFS_ERRORS: dict[str, type[DispenserError]] = {
    # completion codes
    "canceled": Canceled,
    "deviceNotReady": DeviceNotReady,
    "hardwareError": HardwareError,
    "internalError": InternalError,
    "invalidCommand": InvalidData,
    "invalidRequestID": InvalidData,
    "timeOut": CommandTimeout,
    "unsupportedCommand": UnsupportedCommand,
    "invalidData": InvalidData,
    "userError": UserError,
    "unsupportedData": InvalidData,
    "fraudAttempt": FraudAttempt,
    "sequenceError": SequenceError,
    "authorizationRequired": AuthorisationRequired,
    "authorisationRequired": AuthorisationRequired,
    "noCommandNonce": AuthorisationRequired,
    "invalidToken": AuthorisationRequired,
    "invalidTokenNonce": AuthorisationRequired,
    "invalidTokenHMAC": AuthorisationRequired,
    "invalidTokenFormat": AuthorisationRequired,
    "invalidTokenKeyNoValue": AuthorisationRequired,
    "notEnoughSpace": CashUnitError,
    # acknowledge statuses
    "invalidMessage": InvalidData,
    "tooManyRequests": DeviceBusy,
    # command error codes: Dispense, Present, Reject, GetPresentStatus, Retract, Reset,
    # SetStorage
    "notDispensable": NotDispensableByDevice,
    "invalidDenomination": InvalidDenomination,
    "invalidCurrency": InvalidDenomination,
    "tooManyItems": TooManyItems,
    "cashUnitError": CashUnitError,
    "invalidCashUnit": CashUnitError,
    "storageUnitError": CashUnitError,
    "itemsLeft": ItemsLeft,
    "positionNotEmpty": ItemsLeft,
    "noItems": NoItems,
    "presentErrorNoItems": NoItems,
    "shutterNotOpen": ShutterNotOpen,
    "shutterOpen": ShutterOpen,
    "shutterNotClosed": ShutterOpen,
    "itemsTaken": ItemsTaken,
    "invalidUnit": InvalidUnit,
    "noExchangeActive": InvalidUnit,
    "exchangeActive": ExchangeActive,
    "safeDoorOpen": SafeDoorOpen,
    "presentErrorItems": PresentError,
    "presentErrorUnknown": PresentError,
    "incompleteRetract": RetractError,
    "foreignItemsDetected": RetractError,
    "invalidRetractPosition": InvalidData,
    "notRetractArea": InvalidData,
    "unsupportedPosition": InvalidData,
    "invalidTellerID": InvalidData,
    "invalidMixNumber": InvalidData,
    "noCurrencyMix": InvalidData,
    "noCashBoxPresent": InvalidData,
    "amountNotInMixTable": InvalidData,
}


def _snake(name: str) -> str:
    return "".join(f"_{c.lower()}" if c.isupper() else c for c in name)


#: Our error class -> the XFS4IoT code a device sends for it (the simulator endpoint's
#: answer): the standard name of the same words where there is one, else the first listed.
XFS_CODE_OF: dict[type[DispenserError], str] = {
    cls: name for name, cls in reversed(XFS_ERRORS.items())}
XFS_CODE_OF.update({cls: name for name, cls in XFS_ERRORS.items() if _snake(name) == cls.code})

#: Every error code a dispenser may raise, for documentation and the service's error mapping.
ERROR_CODES: tuple[str, ...] = tuple(sorted(
    {cls.code for cls in XFS_ERRORS.values()}
    | {DispenserError.code, DriverURLError.code, PowerFailure.code,
       ConfigurationMismatch.code, DeviceUnreachable.code}))
