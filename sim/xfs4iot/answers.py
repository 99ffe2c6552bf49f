"""What the endpoint sends back for a command: its events, completion code and payload."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from kiosk_service.hardware.errors import XFS_CODE_OF, DispenserError, InvalidData


@dataclass(frozen=True, slots=True)
class Event:
    """An event to send: `unsolicited` ones go to every connection, others with the command."""

    name: str
    payload: Mapping[str, Any] = field(default_factory=dict)
    unsolicited: bool = False


@dataclass(frozen=True, slots=True)
class Answer:
    """A command's outcome: its events, then the completion code, error code and payload."""

    events: tuple[Event, ...] = ()
    payload: Mapping[str, Any] = field(default_factory=dict)
    completion_code: str = "success"
    error_code: str | None = None
    error_description: str | None = None
    #: Drop the connection instead of completing (the disconnect fault).
    disconnect: bool = False


def failure(error: DispenserError, events: tuple[Event, ...] = ()) -> Answer:
    """Answer a refused or failed command with the XFS4IoT code of our error."""
    code = XFS_CODE_OF.get(type(error))
    if isinstance(error, InvalidData) or code is None:
        return Answer(events=events, completion_code="invalidData",
                      error_description=error.message)
    completion_codes = {"deviceNotReady", "hardwareError", "sequenceError"}
    if code in completion_codes:
        return Answer(events=events, completion_code=code, error_description=error.message)
    return Answer(events=events, completion_code="commandErrorCode", error_code=code,
                  error_description=error.message)


def answer_of(operation: Callable[[], Any]) -> Answer:
    """Run a device operation whose completion says only whether it worked: success, or the
    `failure` of its DispenserError."""
    try:
        operation()
    except DispenserError as error:
        return failure(error)
    return Answer()
