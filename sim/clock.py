"""The simulator's clocks: the ones the driver interface defines, re-exported."""

from kiosk_service.hardware.clock import MANUAL_EPOCH, Clock, ManualClock, SystemClock

__all__ = ["MANUAL_EPOCH", "Clock", "ManualClock", "SystemClock"]
