"""`kiosk-sim xfs4iot`'s WebSocket side: a publisher and one dispenser service endpoint.

    ws://HOST:PORT/xfs4iot/v1.0                   ServicePublisher.GetServices
    ws://HOST:PORT/xfs4iot/v1.0/CashDispenser1    the service (Common, Storage, CashDispenser,
                                                  CashManagement)

Every command is acknowledged first (or refused in the acknowledge: `invalidMessage` for text
that is not a message, `invalidRequestID` for a missing, non-integer or repeated request id),
then queued and run one at a time, as KAL's service host does; status reads and Common.Cancel
are answered at once. A queued command whose `timeout` runs out completes `timeOut`, one
cancelled before it ran `canceled`. Unsolicited events go to every service connection.
"""

from __future__ import annotations

import json
import queue
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from websockets.exceptions import ConnectionClosed
from websockets.sync.server import Server, ServerConnection, serve

from kiosk_service.hardware.xfs4iot.messages import (
    Dialect,
    Message,
    MessageError,
    MessageType,
)
from sim.xfs4iot.answers import Answer
from sim.xfs4iot.device import IMMEDIATE, DeviceService
from sim.xfs4iot.units import publisher_payload

PUBLISHER_PATH = "/xfs4iot/v1.0"
SERVICE_NAME = "CashDispenser1"
#: Seconds between looks at whether the customer has taken presented notes.
TAKE_POLL = 0.05


@dataclass(eq=False)
class Client:
    """One WebSocket: sends are serialised; `open_ids` are its queued or running requests."""

    socket: ServerConnection
    service: bool
    lock: threading.Lock = field(default_factory=threading.Lock)
    open_ids: set[int] = field(default_factory=set)

    def send(self, text: str) -> bool:
        """Send one text; False when the connection is gone."""
        with self.lock:
            try:
                self.socket.send(text)
                return True
            except (ConnectionClosed, OSError):
                return False


@dataclass(eq=False)
class Job:
    client: Client
    command: Message
    deadline: float | None
    canceled: bool = False


class Endpoint:
    """The XFS4IoT endpoint of one simulated dispenser. `serve_forever()` blocks;
    `start()` runs it in a thread (tests) and `stop()` ends it."""

    def __init__(self, service: DeviceService, dialect: Dialect, *, host: str, port: int,
                 observer: Callable[[str, dict], None] | None = None, ssl_context=None):
        self.service = service
        self.dialect = dialect
        self.host, self.port = host, port
        self.observer = observer
        self.ssl_context = ssl_context
        self._clients: set[Client] = set()
        self._clients_lock = threading.Lock()
        self._jobs: queue.Queue[Job | None] = queue.Queue()
        self._pending: dict[tuple[int, int], Job] = {}
        self._stopping = threading.Event()
        self._server: Server | None = None
        self._threads: list[threading.Thread] = []

    # -- running ----------------------------------------------------------------------------

    def bind(self) -> int:
        """Open the listening socket; return the port (a free one when asked for port 0)."""
        self._server = serve(self._handle, self.host, self.port, ssl=self.ssl_context,
                             compression=None, max_size=4 * 1024 * 1024)
        self.port = self._server.socket.getsockname()[1]
        for target in (self._work, self._watch_take):
            thread = threading.Thread(target=target, daemon=True, name=target.__name__)
            thread.start()
            self._threads.append(thread)
        return self.port

    def serve_forever(self) -> None:
        """Serve until stop() (or KeyboardInterrupt)."""
        if self._server is None:
            self.bind()
        self._server.serve_forever()

    def start(self) -> int:
        """Serve in a background thread; return the port."""
        port = self.bind()
        thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        thread.start()
        self._threads.append(thread)
        return port

    def stop(self) -> None:
        """Stop serving and close every connection."""
        self._stopping.set()
        self._jobs.put(None)
        if self._server is not None:
            self._server.shutdown()

    @property
    def publisher_url(self) -> str:
        """Return the publisher's ws:// URL."""
        scheme = "wss" if self.ssl_context else "ws"
        return f"{scheme}://{self.host}:{self.port}{PUBLISHER_PATH}"

    # -- connections ------------------------------------------------------------------------

    def _handle(self, socket: ServerConnection) -> None:
        path = socket.request.path.split("?")[0].rstrip("/")
        if path not in (PUBLISHER_PATH, f"{PUBLISHER_PATH}/{SERVICE_NAME}"):
            socket.close(code=1008, reason=f"no endpoint at {path}")
            return
        client = Client(socket, service=path != PUBLISHER_PATH)
        with self._clients_lock:
            self._clients.add(client)
        try:
            for text in socket:
                self._receive(client, text, socket)
        except ConnectionClosed:
            pass
        finally:
            with self._clients_lock:
                self._clients.discard(client)

    def _receive(self, client: Client, text: str | bytes, socket: ServerConnection) -> None:
        self._observe("to_device", text)
        try:
            command = self.dialect.decode(text)
        except MessageError as error:
            name, request_id = _header_of(text)
            self._send(client, Message(MessageType.ACKNOWLEDGE, name or "Common.Unknown",
                                       request_id, status=error.status,
                                       error_description=str(error)))
            return
        if command.type != MessageType.COMMAND:
            return
        if command.request_id in client.open_ids:
            self._send(client, Message(MessageType.ACKNOWLEDGE, command.name,
                                       command.request_id, status="invalidRequestID",
                                       error_description="this requestId is already in use",
                                       version=command.version))
            return
        client.open_ids.add(command.request_id)
        self._send(client, Message(MessageType.ACKNOWLEDGE, command.name, command.request_id,
                                   version=command.version))
        if not client.service:
            self._publish(client, command, socket)
        elif command.name == "Common.Cancel":
            self._cancel(client, command)
        elif command.name in IMMEDIATE:
            with self.service.lock:     # its events and completion before any later event
                self._answer(client, command, self.service.execute(command.name,
                                                                   command.payload))
        else:
            timeout = command.timeout or 0
            job = Job(client, command, time.monotonic() + timeout / 1000 if timeout else None)
            self._pending[(id(client), command.request_id)] = job
            self._jobs.put(job)

    def _publish(self, client: Client, command: Message, socket: ServerConnection) -> None:
        if command.name in ("Common.Status", "Common.Capabilities"):
            self._answer(client, command, Answer(payload=publisher_payload(
                command.name, self.dialect)))
            return
        if command.name != "ServicePublisher.GetServices":
            self._answer(client, command, Answer(
                completion_code="unsupportedCommand",
                error_description="the publisher answers ServicePublisher.GetServices, "
                                  "Common.Status and Common.Capabilities"))
            return
        host = socket.request.headers.get("Host") or f"{self.host}:{self.port}"
        scheme = "wss" if self.ssl_context else "ws"
        self._answer(client, command, Answer(payload={
            "vendorName": "Cashmix simulator",
            "services": [{"serviceURI": f"{scheme}://{host}{PUBLISHER_PATH}/{SERVICE_NAME}"}]}))

    def _cancel(self, client: Client, command: Message) -> None:
        ids = command.payload.get("requestIds")
        if ids is not None and (not isinstance(ids, list) or not all(
                isinstance(i, int) and not isinstance(i, bool) for i in ids)):
            self._answer(client, command, Answer(completion_code="invalidData",
                                                 error_description="requestIds: integers"))
            return
        for key, job in list(self._pending.items()):
            if job.client is client and (ids is None or job.command.request_id in ids):
                job.canceled = True
                self._pending.pop(key, None)
                self._answer(client, job.command, Answer(completion_code="canceled"))
        self._answer(client, command, Answer())

    # -- the queue --------------------------------------------------------------------------

    def _work(self) -> None:
        while not self._stopping.is_set():
            job = self._jobs.get()
            if job is None:
                return
            if job.canceled:
                continue
            self._pending.pop((id(job.client), job.command.request_id), None)
            if job.deadline is not None and time.monotonic() > job.deadline:
                self._answer(job.client, job.command, Answer(
                    completion_code="timeOut", error_description="waited past its timeout"))
                continue
            with self.service.lock:     # its events and completion before any later event
                answer = self.service.execute(job.command.name, job.command.payload)
                if answer.disconnect:
                    for event in answer.events:
                        self._event(job.client, job.command, event)
                    job.client.socket.close(code=1011, reason="simulated disconnect")
                    continue
                self._answer(job.client, job.command, answer)

    def _watch_take(self) -> None:
        """The customer: report a take of presented notes as an unsolicited ItemsTakenEvent."""
        while not self._stopping.wait(TAKE_POLL):
            with self.service.lock:
                if self.service.collect_take() is not None:
                    self._broadcast(Message(MessageType.UNSOLICITED,
                                            "CashManagement.ItemsTakenEvent",
                                            payload=self.dialect.items_event_payload()))

    # -- sending ----------------------------------------------------------------------------

    def _answer(self, client: Client, command: Message, answer: Answer) -> None:
        for event in answer.events:
            self._event(client, command, event)
        payload = dict(answer.payload)
        if answer.error_code:
            payload["errorCode"] = answer.error_code
        self._send(client, Message(MessageType.COMPLETION, command.name, command.request_id,
                                   payload, completion_code=answer.completion_code,
                                   error_description=answer.error_description))
        client.open_ids.discard(command.request_id)

    def _event(self, client: Client, command: Message, event) -> None:
        if event.unsolicited:
            self._broadcast(Message(MessageType.UNSOLICITED, event.name,
                                    payload=dict(event.payload)))
        else:
            self._send(client, Message(MessageType.EVENT, event.name, command.request_id,
                                       dict(event.payload)))

    def _broadcast(self, message: Message) -> None:
        with self._clients_lock:
            clients = [c for c in self._clients if c.service]
        for client in clients:
            self._send(client, message)

    def _send(self, client: Client, message: Message) -> None:
        text = self.dialect.encode(message)
        if client.send(text):
            self._observe("to_client", text)

    def _observe(self, direction: str, text: str | bytes) -> None:
        if self.observer is None:
            return
        try:
            body = json.loads(text)
        except ValueError:
            body = {"unparseable": text if isinstance(text, str) else text.decode(errors="replace")}
        self.observer(direction, body if isinstance(body, dict) else {"unparseable": body})


def _header_of(text: str | bytes) -> tuple[str | None, int | None]:
    """Return the name and an integer request id of a message refused as malformed."""
    try:
        header = json.loads(text).get("header") or {}
    except (ValueError, AttributeError):
        return None, None
    name = header.get("name") if isinstance(header.get("name"), str) else None
    request_id: Any = header.get("requestId")
    valid = isinstance(request_id, int) and not isinstance(request_id, bool) and request_id > 0
    return name, request_id if valid else None
