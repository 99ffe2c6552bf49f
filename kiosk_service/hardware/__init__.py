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
    CashUnitError,
    DeviceNotReady,
    DispenserError,
    DriverURLError,
    HardwareError,
    InvalidDenomination,
    InvalidUnit,
    ItemsLeft,
    ItemsTaken,
    NoItems,
    NotDispensableByDevice,
    PowerFailure,
    SequenceError,
    ShutterNotOpen,
    TooManyItems,
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
    "ENTRY_POINT_GROUP", "ERROR_CODES", "MOVEMENTS", "XFS_ERRORS",
    "BinKind", "BinState", "CashUnitError", "CassetteState", "CassetteStatus", "Clock",
    "DeviceEvent", "DeviceNotReady", "DeviceState", "DeviceStatus", "Dispenser",
    "DispenserError", "DriverURLError", "EventKind", "FillLevel", "HardwareError",
    "InvalidDenomination", "InvalidUnit", "ItemsLeft", "ItemsTaken", "ManualClock", "NoItems",
    "NoteMovement", "NotDispensableByDevice", "Operation", "OperationResult", "OutputPosition",
    "PowerFailure", "SequenceError", "ShutterNotOpen", "ShutterState", "SystemClock",
    "TooManyItems", "UnitCounters", "open_dispenser", "url_options",
]
