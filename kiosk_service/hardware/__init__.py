"""The dispenser driver interface: framework-free, shared by the service and the simulator.

    from kiosk_service.hardware import open_dispenser, ManualClock
    device = open_dispenser("sim://?seed=7&faults=jam:B:3", clock=ManualClock())

See `Dispenser` for the operations, `OperationResult` for what they report and `errors` for
the stable error codes.
"""

from kiosk_service.hardware.clock import Clock, ManualClock, SystemClock
from kiosk_service.hardware.dispenser import Dispenser
from kiosk_service.hardware.errors import (
    ERROR_CODES,
    XFS_ERRORS,
    AuthorisationRequired,
    Canceled,
    CashUnitError,
    CommandTimeout,
    ConfigurationMismatch,
    DeviceBusy,
    DeviceNotReady,
    DeviceUnreachable,
    DispenserError,
    DriverURLError,
    ExchangeActive,
    FraudAttempt,
    HardwareError,
    InternalError,
    InvalidData,
    InvalidDenomination,
    InvalidUnit,
    ItemsLeft,
    ItemsTaken,
    NoItems,
    NotDispensableByDevice,
    PowerFailure,
    PresentError,
    RetractError,
    SafeDoorOpen,
    SequenceError,
    ShutterNotOpen,
    ShutterOpen,
    TooManyItems,
    UnsupportedCommand,
    UserError,
)
from kiosk_service.hardware.registry import ENTRY_POINT_GROUP, open_dispenser, url_options
from kiosk_service.hardware.results import (
    MOVEMENTS,
    DeviceEvent,
    EventKind,
    NoteMovement,
    Operation,
    OperationResult,
)
from kiosk_service.hardware.status import (
    BinKind,
    BinState,
    CassetteState,
    CassetteStatus,
    DeviceState,
    DeviceStatus,
    FillLevel,
    OutputPosition,
    ShutterState,
    UnitCounters,
)

__all__ = [
    "ENTRY_POINT_GROUP", "ERROR_CODES", "MOVEMENTS", "XFS_ERRORS", "AuthorisationRequired",
    "BinKind", "BinState", "Canceled", "CashUnitError", "CassetteState", "CassetteStatus",
    "Clock", "CommandTimeout", "ConfigurationMismatch", "DeviceBusy", "DeviceEvent",
    "DeviceNotReady", "DeviceState", "DeviceStatus", "DeviceUnreachable", "Dispenser",
    "DispenserError", "DriverURLError", "EventKind", "ExchangeActive", "FillLevel",
    "FraudAttempt", "HardwareError", "InternalError", "InvalidData", "InvalidDenomination",
    "InvalidUnit", "ItemsLeft", "ItemsTaken", "ManualClock", "NoItems", "NotDispensableByDevice",
    "NoteMovement", "Operation", "OperationResult", "OutputPosition", "PowerFailure",
    "PresentError", "RetractError", "SafeDoorOpen", "SequenceError", "ShutterNotOpen",
    "ShutterOpen", "ShutterState", "SystemClock", "TooManyItems", "UnitCounters",
    "UnsupportedCommand", "UserError", "open_dispenser", "url_options",
]
