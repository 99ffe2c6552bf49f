"""The driver's link to its service: commands as named errors, reconnection with backoff, and
the rule that a command which moves notes is never sent twice."""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from typing import Any

from kiosk_service.hardware.errors import (
    XFS_ERRORS,
    CommandTimeout,
    DeviceUnreachable,
    DispenserError,
    HardwareError,
    UnsupportedCommand,
)
from kiosk_service.hardware.xfs4iot.connection import (
    CommandRefused,
    Connection,
    LinkDown,
    Reply,
)

#: Seconds between reconnection attempts after a drop, doubling up to the last.
RECONNECT_DELAYS = (0.05, 0.1, 0.2, 0.4, 0.8, 1.6, 3.2)


def error_from(reply: Reply, what: str, unit_cassettes: Mapping[str, str], *,
               result=None) -> DispenserError:
    """Return the named error of a failed completion: `commandErrorCode` by its errorCode,
    others by the completion code (XFS_ERRORS); the cassette at fault from a
    Storage.StorageErrorEvent (`unit_cassettes`: unit name -> cassette id)."""
    completion = reply.completion
    code = completion.error_code if completion.completion_code == "commandErrorCode" \
        else completion.completion_code
    cls = UnsupportedCommand if code == "unsupportedCommand" else XFS_ERRORS.get(
        code or "", HardwareError)
    cassette = None
    for event in reply.events_named("Storage.StorageErrorEvent"):
        unit = next(iter((event.payload.get("unit") or {}).keys()), None)
        cassette = unit_cassettes.get(unit, cassette)
    detail = completion.error_description or code or "no reason given"
    return cls(f"{what}: {detail}", result=result, cassette=cassette, xfs_code=code)


class Link:
    """One service connection as the driver uses it.

    `on_reconnect` runs after a dropped connection is made again while only listening (the
    caller reconciles what it may have missed). `unit_cassettes` names the cassettes in the
    errors it raises.
    """

    def __init__(self, connection: Connection, *, timeout: float, url: str,
                 on_reconnect: Callable[[], None] = lambda: None,
                 unit_cassettes: Callable[[], Mapping[str, str]] = dict):
        self.connection = connection
        self.timeout = timeout
        self.url = url
        self.on_reconnect = on_reconnect
        self.unit_cassettes = unit_cassettes

    def open(self) -> None:
        """Connect; raises DeviceUnreachable."""
        try:
            self.connection.open()
        except LinkDown as error:
            raise DeviceUnreachable(str(error), url=self.url) from error

    def close(self) -> None:
        self.connection.close()

    def query(self, name: str, payload: Mapping[str, Any] | None = None) -> Reply:
        """Send a command that changes nothing and return its successful reply; resent once
        after a reconnect. Raises the completion's named error, or DeviceUnreachable."""
        for attempt in (1, 2):
            try:
                reply = self._send(name, payload)
            except LinkDown:
                if attempt == 2:
                    raise DeviceUnreachable(f"the device dropped {name} twice",
                                            url=self.url) from None
                self.reconnect()
                continue
            if not reply.ok:
                raise error_from(reply, f"{name} failed", self.unit_cassettes())
            return reply
        raise AssertionError("unreachable")

    def act(self, name: str, payload: Mapping[str, Any] | None, *,
            lost_ok: bool = False) -> Reply | None:
        """Send a command that moves notes or changes the device, never twice: after a drop,
        reconnect and return None when `lost_ok` (the caller reads the counters to see what it
        did), else raise DeviceUnreachable."""
        try:
            return self._send(name, payload)
        except LinkDown:
            self.reconnect()
            if lost_ok:
                return None
            raise DeviceUnreachable(f"the connection dropped during {name}",
                                    url=self.url) from None

    def listen(self, timeout: float) -> None:
        """Read what arrives within `timeout` seconds (unsolicited events reach the
        connection's handler); reconnect and reconcile after a drop."""
        try:
            self.connection.receive(timeout)
        except LinkDown:
            self.reconnect()
            self.on_reconnect()

    def drain(self) -> None:
        """Read every message already waiting; reconnect and reconcile after a drop."""
        try:
            self.connection.drain()
        except LinkDown:
            self.reconnect()
            self.on_reconnect()

    def reconnect(self) -> None:
        """Connect again with backoff; raises DeviceUnreachable after the last attempt."""
        last: LinkDown | None = None
        for delay in RECONNECT_DELAYS:
            time.sleep(delay)
            try:
                self.connection.open()
                return
            except LinkDown as error:
                last = error
        raise DeviceUnreachable(f"the device does not answer: {last}", url=self.url)

    def _send(self, name: str, payload: Mapping[str, Any] | None) -> Reply:
        if not self.connection.is_open:
            self.reconnect()
        try:
            return self.connection.command(name, payload, timeout=self.timeout)
        except CommandRefused as error:
            cls = CommandTimeout if error.status == "timeOut" else XFS_ERRORS.get(
                error.status, HardwareError)
            raise cls(str(error), status=error.status) from None
