"""XFS4IoT messages in both wire dialects: one envelope in code, two layouts on the wire.

2021-1 keeps `timeout`, `completionCode` and `errorDescription` in the payload, acknowledges
with `payload.status` ("ok" when accepted) and keys every message on version "1.0". 2023-2 and
later (we speak 2024-3) move them into the header, leave `status` out of an accepted
acknowledge and give each message its own version. `Message` is the dialect-free form; a
`Dialect` encodes and decodes it, and also the few payloads whose layout changed between the two
(the application mix of a dispense, the retract location and the items events' position).
"""

from __future__ import annotations

import json
from abc import ABC, abstractmethod
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, ClassVar


class MessageType(StrEnum):
    """`header.type`: what a message is."""

    COMMAND = "command"
    ACKNOWLEDGE = "acknowledge"
    EVENT = "event"
    COMPLETION = "completion"
    UNSOLICITED = "unsolicited"


class MessageError(ValueError):
    """A text that is not an XFS4IoT message: `status` is the acknowledge status it earns."""

    def __init__(self, message: str, status: str = "invalidMessage"):
        super().__init__(message)
        self.status = status


@dataclass(frozen=True, slots=True)
class Message:
    """One XFS4IoT message, dialect-free.

    `payload` holds the message's own fields only (no timeout, completion code or ack status:
    those are attributes here). `request_id` is None for unsolicited events, which arrive as
    type `unsolicited` or as `event` without a request id: `unsolicited` is True for both.
    """

    type: MessageType
    name: str
    request_id: int | None = None
    payload: Mapping[str, Any] = field(default_factory=dict)
    version: str | None = None
    timeout: int | None = None            # commands, milliseconds (0: none)
    completion_code: str | None = None    # completions
    error_description: str | None = None  # completions and refused acknowledges
    status: str | None = None             # acknowledges: None = accepted

    @property
    def unsolicited(self) -> bool:
        """True for an unsolicited event, however the sender marked it."""
        return self.type == MessageType.UNSOLICITED or (
            self.type == MessageType.EVENT and self.request_id is None)

    @property
    def error_code(self) -> str | None:
        """Return the command-specific `errorCode` of a completion, if any."""
        code = self.payload.get("errorCode")
        return code if isinstance(code, str) else None


#: Message versions of 2024-3 (KAL_XFS4IoT_SP-Dev `[XFS4Version]`), where not "2.0". Keys are
#: (name, type); a command's entry also gives its acknowledge's version.
VERSIONS_2024_3: dict[tuple[str, str], str] = {
    ("CashDispenser.Dispense", "command"): "3.0",
    ("CashDispenser.Dispense", "completion"): "3.0",
    ("CashDispenser.Denominate", "command"): "3.0",
    ("CashDispenser.Denominate", "completion"): "3.0",
    ("CashDispenser.IncompleteDispenseEvent", "event"): "3.0",
    ("CashDispenser.GetPresentStatus", "completion"): "3.0",
    ("Common.Capabilities", "completion"): "3.0",
    ("Common.Status", "completion"): "3.0",
    ("Common.StatusChangedEvent", "unsolicited"): "3.0",
    ("Storage.GetStorage", "completion"): "2.1",
    ("Storage.SetStorage", "command"): "2.1",
    ("Storage.StorageErrorEvent", "event"): "2.1",
    ("Storage.StorageThresholdEvent", "unsolicited"): "2.1",
    ("Storage.StorageChangedEvent", "unsolicited"): "2.1",
}

#: Event types as each event is sent (a simulator sends unsolicited events as `unsolicited`).
UNSOLICITED_EVENTS = frozenset({
    "CashManagement.ItemsTakenEvent", "CashManagement.ItemsPresentedEvent",
    "CashManagement.ShutterStatusChangedEvent", "Storage.StorageThresholdEvent",
    "Storage.StorageChangedEvent", "Storage.CountsChangedEvent", "Common.StatusChangedEvent",
    "ServicePublisher.ServiceDetailEvent"})

POSITION = "outDefault"


class Dialect(ABC):
    """One wire generation: encodes Messages to JSON text and decodes them back.

    The envelope's checks are the same in every generation; a subclass says where the fields
    that moved between generations go (`_place`, `_lift`), at which version it sends each
    message, and the payloads whose layout changed.
    """

    #: The generation's name in a driver URL's `dialect=` ("2021-1", "2024-3").
    name: ClassVar[str]

    @abstractmethod
    def default_version(self, name: str, type_: str) -> str:
        """Return the version this dialect sends `name` at unless told otherwise."""

    def encode(self, message: Message) -> str:
        """Return the JSON text of `message`."""
        header: dict[str, Any] = {"type": str(message.type), "name": message.name,
                                  "version": message.version or self.default_version(
                                      message.name, str(message.type))}
        if message.request_id is not None:
            header["requestId"] = message.request_id
        payload = dict(message.payload)
        self._place(message, header, payload)
        body: dict[str, Any] = {"header": header}
        if payload or self._payload_required(message):
            body["payload"] = payload
        return json.dumps(body, separators=(",", ":"), sort_keys=False)

    def decode(self, text: str | bytes) -> Message:
        """Parse one message; raises MessageError with the acknowledge status it deserves."""
        try:
            body = json.loads(text)
        except (ValueError, UnicodeDecodeError) as error:
            raise MessageError(f"not JSON: {error}") from None
        header = body.get("header") if isinstance(body, dict) else None
        if not isinstance(header, dict):
            raise MessageError("a message needs a header object")
        name, type_ = header.get("name"), header.get("type")
        if not isinstance(name, str) or not name or type_ not in set(MessageType):
            raise MessageError("the header needs a name and a type")
        payload = body.get("payload")
        payload = dict(payload) if isinstance(payload, dict) else {}
        request_id = header.get("requestId")
        if request_id is not None and (isinstance(request_id, bool)
                                       or not isinstance(request_id, int) or request_id < 1):
            raise MessageError(f"requestId {request_id!r} is not a positive integer",
                               "invalidRequestID")
        if type_ in ("command", "acknowledge", "completion") and request_id is None:
            raise MessageError(f"a {type_} needs a requestId", "invalidRequestID")
        return self._lift(Message(MessageType(type_), name, request_id, payload,
                                  header.get("version")), header, payload)

    # -- payload layouts that differ between dialects ----------------------------------------

    @abstractmethod
    def dispense_payload(self, currency_totals: Mapping[str, float],
                         counts: Mapping[str, int]) -> dict[str, Any]:
        """Return a Dispense payload for an application mix (unit name -> notes)."""

    @abstractmethod
    def dispense_mix(self, payload: Mapping[str, Any], *, denominate: bool = False
                     ) -> MixRequest:
        """Return the mix a Dispense (or, with `denominate`, a Denominate) payload asks for;
        raises MessageError (status None: acknowledged, then completes invalidData)."""

    @abstractmethod
    def retract_payload(self, area: str = "retract", index: int = 1) -> dict[str, Any]:
        """Return a CashManagement.Retract payload for a retract area."""

    @abstractmethod
    def retract_area(self, payload: Mapping[str, Any]) -> str:
        """Return the retract area a Retract payload names (default `retract`)."""

    @abstractmethod
    def items_event_payload(self, position: str = POSITION) -> dict[str, Any]:
        """Return the payload of ItemsPresentedEvent / ItemsTakenEvent."""

    @abstractmethod
    def present_payload(self, position: str = POSITION) -> dict[str, Any]:
        """Return the payload of a successful CashDispenser.Present completion."""

    # -- inside -----------------------------------------------------------------------------

    @abstractmethod
    def _place(self, message: Message, header: dict, payload: dict) -> None:
        """Put the message's timeout, completion code, error description and acknowledge
        status into this generation's places in the `header` and `payload` being sent."""

    @abstractmethod
    def _lift(self, message: Message, header: Mapping, payload: dict) -> Message:
        """Return `message` with those fields taken from where this generation keeps them
        (and out of `payload`)."""

    def _payload_required(self, message: Message) -> bool:
        """True when the message is sent with a payload even if it has no fields."""
        return False


class Dialect2021(Dialect):
    """2021-1: version "1.0"; timeout, completionCode and errorDescription in the payload."""

    name = "2021-1"

    def default_version(self, name: str, type_: str) -> str:
        return "1.0"

    def dispense_payload(self, currency_totals, counts):
        return {"denomination": {"denomination": {"currencies": dict(currency_totals),
                                                  "values": dict(counts)}},
                "position": POSITION}

    def dispense_mix(self, payload, *, denominate=False):
        # Dispense wraps the DenominateRequest in `denomination`; Denominate is one.
        outer = payload if denominate else _object(payload.get("denomination"))
        request = _object(outer.get("denomination"))
        mix = outer.get("mix")
        if request.get("values") is None and mix is None:
            raise MessageError("give denomination.values (an application mix) or a mix", None)
        return MixRequest(_currencies(request.get("currencies")),
                          dict(_object(request.get("values"))), mix or None,
                          partial=bool(mix))

    def retract_payload(self, area="retract", index=1):
        return {"retractArea": area, "index": index}

    def retract_area(self, payload):
        return payload.get("retractArea") or "retract"

    def items_event_payload(self, position=POSITION):
        return {"position": {"position": position, "additionalBunches": "0"}}

    def present_payload(self, position=POSITION):
        return {"position": position, "additionalBunches": "0"}

    def _place(self, message, header, payload):
        payload.update(_timeout_or_completion(message))
        if message.type == MessageType.ACKNOWLEDGE:
            payload["status"] = message.status or "ok"
            if message.error_description:
                payload["errorDescription"] = message.error_description

    def _lift(self, message, header, payload):
        if message.type == MessageType.COMMAND:
            timeout = payload.pop("timeout", None)
            return _with(message, payload, timeout=timeout if isinstance(timeout, int) else None)
        if message.type == MessageType.ACKNOWLEDGE:
            status = payload.pop("status", None)
            description = payload.pop("errorDescription", None)
            return _with(message, payload, status=None if status in (None, "ok") else status,
                         error_description=description)
        if message.type == MessageType.COMPLETION:
            # Tolerated: a sender that put them in the header, as 2023-2 and later do.
            code = payload.pop("completionCode", None) or header.get("completionCode")
            description = payload.pop("errorDescription", None) or \
                header.get("errorDescription")
            return _with(message, payload, completion_code=code,
                         error_description=description)
        return _with(message, payload)

    def _payload_required(self, message):
        return message.type in (MessageType.ACKNOWLEDGE, MessageType.COMPLETION)


class Dialect2024(Dialect):
    """2024-3 (and 2023-2): version per message; timeout and completion code in the header."""

    name = "2024-3"

    def __init__(self, versions: Mapping[str, tuple[str, ...]] | None = None):
        #: Command name -> the versions the service supports (Common.Capabilities).
        self.versions = dict(versions or {})

    def default_version(self, name: str, type_: str) -> str:
        key_type = "command" if type_ == "acknowledge" else type_
        if key_type == "command" and self.versions.get(name):
            ours = VERSIONS_2024_3.get((name, "command"), "2.0")
            listed = self.versions[name]
            return ours if ours in listed else listed[-1]
        if type_ == "unsolicited" or (type_ == "event" and name in UNSOLICITED_EVENTS):
            key_type = "unsolicited"
        return VERSIONS_2024_3.get((name, key_type), "2.0")

    def dispense_payload(self, currency_totals, counts):
        return {"denomination": {"denomination": {"app": {"currencies": dict(currency_totals),
                                                          "counts": dict(counts)}}},
                "position": POSITION}

    def dispense_mix(self, payload, *, denominate=False):
        request = _object(_object(payload.get("request" if denominate else "denomination"))
                          .get("denomination"))
        app, service = request.get("app"), request.get("service")
        if (app is None) == (service is None):
            raise MessageError("give exactly one of denomination.app and denomination.service",
                               None)
        if app is not None:
            app = _object(app)
            return MixRequest(_currencies(app.get("currencies")),
                              dict(_object(app.get("counts"))))
        service = _object(service)
        return MixRequest(_currencies(service.get("currencies")),
                          dict(_object(service.get("partial"))), service.get("mix") or "mix1",
                          partial=True)

    def retract_payload(self, area="retract", index=1):
        return {"location": {"retractArea": area, "index": index}}

    def retract_area(self, payload):
        return _object(payload.get("location")).get("retractArea") or "retract"

    def items_event_payload(self, position=POSITION):
        return {"position": position, "additionalBunches": "0"}

    def present_payload(self, position=POSITION):
        return {"position": {"position": position, "additionalBunches": "0"}}

    def _place(self, message, header, payload):
        header.update(_timeout_or_completion(message))
        if message.type == MessageType.ACKNOWLEDGE and message.status:
            # KAL's MessageHeader.cs: errorDescription belongs to completions only.
            header["status"] = message.status

    def _lift(self, message, header, payload):
        # Tolerated: a sender that kept 2021-1's places, or acknowledged with status "ok".
        timeout = header.get("timeout", payload.get("timeout"))
        code = header.get("completionCode")
        description = header.get("errorDescription")
        if message.type == MessageType.COMPLETION and code is None:
            code = payload.pop("completionCode", None)
            description = description or payload.pop("errorDescription", None)
        status = header.get("status")
        return _with(message, payload,
                     timeout=timeout if isinstance(timeout, int) else None,
                     completion_code=code, error_description=description,
                     status=None if status in (None, "ok") else status)


DIALECTS: dict[str, type[Dialect]] = {"2021-1": Dialect2021, "2024-3": Dialect2024}


@dataclass(frozen=True, slots=True)
class MixRequest:
    """What a Dispense or Denominate asks for: the currencies' totals and either the unit
    counts (an application mix) or a mix of the service's (`mix1`), with `counts` then the
    notes that must be part of it (`partial`)."""

    currencies: Mapping[str, float]
    counts: Mapping[str, Any] = field(default_factory=dict)
    mix: str | None = None
    partial: bool = False


def dialect_named(name: str) -> Dialect:
    """Return a fresh Dialect for "2021-1" or "2024-3"; raises ValueError otherwise."""
    if name not in DIALECTS:
        raise ValueError(f"unknown dialect {name!r}; one of {', '.join(DIALECTS)}")
    return DIALECTS[name]()


def _timeout_or_completion(message: Message) -> dict[str, Any]:
    """Return a command's timeout or a completion's code and description by their wire names,
    the same in both dialects (2021-1 puts them in the payload, 2024-3 in the header)."""
    if message.type == MessageType.COMMAND and message.timeout is not None:
        return {"timeout": message.timeout}
    if message.type != MessageType.COMPLETION:
        return {}
    wire: dict[str, Any] = {"completionCode": message.completion_code or "success"}
    if message.error_description:
        wire["errorDescription"] = message.error_description
    return wire


def _with(message: Message, payload: dict, **changes: Any) -> Message:
    return Message(message.type, message.name, message.request_id, payload,
                   message.version, **{key: changes.get(key) for key in (
                       "timeout", "completion_code", "error_description", "status")})


def _object(value: Any) -> Mapping[str, Any]:
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise MessageError(f"expected an object, got {json.dumps(value)}", None)
    return value


def _currencies(value: Any) -> dict[str, float]:
    currencies = _object(value)
    for code, amount in currencies.items():
        if isinstance(amount, bool) or not isinstance(amount, int | float) or amount < 0:
            raise MessageError(f"currency amount {code}: {json.dumps(amount)} is not a number "
                               ">= 0", None)
    return dict(currencies)
