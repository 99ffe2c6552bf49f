"""One WebSocket to an XFS4IoT endpoint: commands with request ids, acknowledges, events and
completions, and the unsolicited events that arrive in between (websockets' sync client)."""

from __future__ import annotations

import contextlib
import itertools
import json
import ssl
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from websockets.exceptions import ConnectionClosed, InvalidHandshake, InvalidURI
from websockets.sync.client import ClientConnection, connect

from kiosk_service.hardware.xfs4iot.messages import (
    UNSOLICITED_EVENTS,
    Dialect,
    Message,
    MessageError,
    MessageType,
)

#: Observer of every message on the wire: (direction "to_device" | "to_client", JSON object).
Observer = Callable[[str, dict], None]


class LinkDown(Exception):
    """The connection dropped or could not be made (the caller reconnects and reconciles)."""


class CommandRefused(Exception):
    """The endpoint refused a command in its acknowledge (`status`), or timed it out."""

    def __init__(self, message: str, status: str):
        super().__init__(message)
        self.status = status


@dataclass(frozen=True, slots=True)
class Reply:
    """A command's outcome: its completion and the events it raised, in order."""

    completion: Message
    events: tuple[Message, ...] = ()

    @property
    def ok(self) -> bool:
        """True when the completion code is success."""
        return self.completion.completion_code in (None, "success")

    def events_named(self, name: str) -> list[Message]:
        """Return the command events called `name` (e.g. Storage.StorageErrorEvent)."""
        return [event for event in self.events if event.name == name]


@dataclass
class Connection:
    """A WebSocket to one XFS4IoT endpoint (publisher or service), used one command at a time.

    `on_unsolicited` receives every unsolicited event, whenever it is read. Request ids count
    up from 1 per connection object and never repeat on it, across reconnects.
    """

    uri: str
    dialect: Dialect
    open_timeout: float = 10.0
    ssl_context: ssl.SSLContext | None = None
    on_unsolicited: Callable[[Message], None] = lambda message: None
    observer: Observer | None = None
    _socket: ClientConnection | None = None
    _ids: Any = field(default_factory=lambda: itertools.count(1))

    def open(self) -> None:
        """Connect; raises LinkDown when the endpoint cannot be reached."""
        self.close()
        try:
            # Entered as a context manager: websockets 17 warns about a bare connect().
            self._socket = connect(self.uri, open_timeout=self.open_timeout,
                                   ssl=self.ssl_context, proxy=None, compression=None,
                                   max_size=4 * 1024 * 1024).__enter__()
        except (OSError, TimeoutError, InvalidHandshake, InvalidURI) as error:
            raise LinkDown(f"cannot connect to {self.uri}: {error}") from error

    @property
    def is_open(self) -> bool:
        """True while the socket is connected."""
        return self._socket is not None

    def close(self) -> None:
        """Close the socket (harmless when closed)."""
        sock, self._socket = self._socket, None
        if sock is not None:
            # Closing a broken socket may fail in many ways; it is closed either way.
            with contextlib.suppress(Exception):
                sock.close()

    def command(self, name: str, payload: Mapping[str, Any] | None = None, *,
                timeout: float, on_event: Callable[[Message], None] | None = None,
                version: str | None = None) -> Reply:
        """Send one command and wait for its completion, `timeout` seconds at most.

        The device is told the timeout (ms) too. When the completion is late, `Common.Cancel`
        asks the device to stop and the cancel's completion is awaited briefly. Raises LinkDown
        when the socket drops, CommandRefused for a refused acknowledge or a lost completion.
        """
        request_id = next(self._ids)
        self.send(Message(MessageType.COMMAND, name, request_id, dict(payload or {}),
                          version=version, timeout=int(timeout * 1000)))
        # A little grace for the device's own timeOut completion to arrive.
        deadline = time.monotonic() + timeout + min(2.0, timeout)
        events: list[Message] = []
        acknowledged = False
        while True:
            message = self.receive(max(deadline - time.monotonic(), 0.0))
            if message is None:
                return self._cancel(name, request_id, events, acknowledged,
                                    wait=min(5.0, timeout + 1.0))
            if message.request_id != request_id or message.unsolicited:
                continue
            if message.type == MessageType.ACKNOWLEDGE:
                if message.status:
                    raise CommandRefused(f"{name} refused: {message.status} "
                                         f"{message.error_description or ''}".strip(),
                                         message.status)
                acknowledged = True
            elif message.type == MessageType.EVENT:
                events.append(message)
                if on_event:
                    on_event(message)
            elif message.type == MessageType.COMPLETION:
                return Reply(message, tuple(events))

    def receive(self, timeout: float) -> Message | None:
        """Return the next message within `timeout` seconds (None when none came); unsolicited
        events go to `on_unsolicited` and are returned too. Raises LinkDown."""
        if self._socket is None:
            raise LinkDown(f"not connected to {self.uri}")
        try:
            text = self._socket.recv(timeout=timeout)
        except TimeoutError:
            return None
        except (ConnectionClosed, OSError) as error:
            self.close()
            raise LinkDown(f"connection to {self.uri} lost: {error}") from error
        try:
            message = self.dialect.decode(text)
        except MessageError:
            return None
        if self.observer:
            self.observer("to_client", _json(text))
        # Some services tag an unsolicited event with the request id of the command that led
        # to it (an ItemsTakenEvent after Present): it is unsolicited all the same.
        if message.unsolicited or (message.type == MessageType.EVENT
                                   and message.name in UNSOLICITED_EVENTS):
            self.on_unsolicited(message)
        return message

    def drain(self) -> None:
        """Read every message already waiting (unsolicited events reach `on_unsolicited`)."""
        while self._socket is not None and self.receive(0) is not None:
            pass

    def send(self, message: Message) -> None:
        """Send one message; raises LinkDown."""
        if self._socket is None:
            raise LinkDown(f"not connected to {self.uri}")
        text = self.dialect.encode(message)
        if self.observer:
            self.observer("to_device", _json(text))
        try:
            self._socket.send(text)
        except (ConnectionClosed, OSError) as error:
            self.close()
            raise LinkDown(f"connection to {self.uri} lost: {error}") from error

    def _cancel(self, name: str, request_id: int, events: list[Message],
                acknowledged: bool, *, wait: float) -> Reply:
        cancel_id = next(self._ids)
        self.send(Message(MessageType.COMMAND, "Common.Cancel", cancel_id,
                          {"requestIds": [request_id]}, timeout=int(wait * 1000)))
        deadline = time.monotonic() + wait
        while (left := deadline - time.monotonic()) > 0:
            message = self.receive(left)
            if message is None:
                break
            if message.request_id == request_id and message.type == MessageType.COMPLETION:
                return Reply(message, tuple(events))
            if message.request_id == request_id and message.type == MessageType.EVENT:
                events.append(message)
        state = "acknowledged" if acknowledged else "not acknowledged"
        raise CommandRefused(f"{name} ({state}) did not complete in time", "timeOut")


def _json(text: str | bytes) -> dict:
    try:
        value = json.loads(text)
    except ValueError:
        return {"unparseable": str(text)}
    return value if isinstance(value, dict) else {"unparseable": value}
