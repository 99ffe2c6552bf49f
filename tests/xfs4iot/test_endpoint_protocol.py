"""`kiosk-sim xfs4iot` follows the standard's meanings, seen by a plain WebSocket client.

Every message the endpoint sends is validated against its dialect's schema.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest
from websockets.sync.client import connect

from kiosk_service.hardware.xfs4iot.messages import dialect_named
from sim.xfs4iot.cli import build_endpoint
from tests.xfs4iot.validation import transcript_problems

TERMINAL = Path(__file__).resolve().parents[2] / "config" / "terminals" / "demo-czk.toml"
DIALECTS = ("2021-1", "2024-3")


class Client:
    """A raw XFS4IoT client: sends commands in a dialect, collects every message back."""

    def __init__(self, url: str, dialect: str):
        self.dialect = dialect_named(dialect)
        self.socket = connect(url, proxy=None, compression=None).__enter__()
        self.received: list[dict] = []
        self._unread: list[dict] = []

    def send_raw(self, text: str) -> None:
        self.socket.send(text)

    def command(self, name: str, request_id: int, payload: dict | None = None, *,
                timeout: int | None = None, version: str | None = None) -> None:
        header = {"type": "command", "name": name, "requestId": request_id,
                  "version": version or self.dialect.default_version(name, "command")}
        body = dict(payload or {})
        if timeout is not None:
            if self.dialect.name == "2021-1":
                body["timeout"] = timeout
            else:
                header["timeout"] = timeout
        message = {"header": header}
        if body or self.dialect.name == "2021-1":
            message["payload"] = body
        self.socket.send(json.dumps(message))

    def until(self, request_id: int | None, type_: str, *, seconds: float = 10.0) -> dict:
        """Return the next message of `type_` for `request_id` (None: unsolicited), whether it
        arrived already (while waiting for another) or arrives within `seconds`."""
        def wanted(message: dict) -> bool:
            header = message["header"]
            return header.get("requestId") == request_id and header["type"] == type_
        for message in self._unread:
            if wanted(message):
                self._unread.remove(message)
                return message
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            message = json.loads(self.socket.recv(timeout=deadline - time.monotonic()))
            self.received.append(message)
            if wanted(message):
                return message
            self._unread.append(message)
        raise AssertionError(f"no {type_} for {request_id}")

    def call(self, name: str, request_id: int, payload: dict | None = None, **kwargs) -> dict:
        self.command(name, request_id, payload, **kwargs)
        return self.until(request_id, "completion")

    def events(self, request_id: int) -> list[dict]:
        return [m for m in self.received if m["header"].get("requestId") == request_id
                and m["header"]["type"] == "event"]


def completion_of(message: dict, dialect: str) -> tuple[str, str | None]:
    """Return (completionCode, errorCode) in either dialect."""
    payload = message.get("payload") or {}
    code = payload.get("completionCode") if dialect == "2021-1" else \
        message["header"].get("completionCode")
    return code, payload.get("errorCode")


def ack_status(message: dict, dialect: str) -> str | None:
    if dialect == "2021-1":
        status = (message.get("payload") or {}).get("status")
        return None if status == "ok" else status
    return message["header"].get("status")


@pytest.fixture(params=DIALECTS)
def device(request):
    """An endpoint in this process, its transcript, and a connected client."""
    dialect = request.param
    lines: list[dict] = []
    endpoint = build_endpoint(TERMINAL, dialect=dialect, port=0, pace=0.2, real_time=True,
                              observer=lambda d, m: lines.append({"direction": d,
                                                                  "message": m}))
    endpoint.start()
    client = Client(f"{endpoint.publisher_url}/CashDispenser1", dialect)
    client.publisher_url = endpoint.publisher_url
    client.outside_subset = set()
    yield client, dialect
    client.socket.close()
    endpoint.stop()
    endpoint.service.device.close()
    # A refusal of text that is no message cannot echo what it could not read.
    # Nor can answers to a command outside the schemas' subset be checked against them.
    sent = [line for line in lines if line["direction"] == "to_client"
            and ack_status(line["message"], dialect) not in ("invalidMessage",
                                                              "invalidRequestID")
            and line["message"]["header"]["name"] not in client.outside_subset]
    assert transcript_problems(sent, dialect) == []


def dispense_payload(client: Client, counts: dict, currencies: dict) -> dict:
    return client.dialect.dispense_payload(currencies, counts)


def test_text_that_is_not_a_message_gets_invalid_message(device):
    client, dialect = device
    client.send_raw("{not json")
    ack = client.until(None, "acknowledge")
    assert ack_status(ack, dialect) == "invalidMessage"


@pytest.mark.parametrize("request_id", ["7", 0, -1, 1.5])
def test_a_bad_request_id_gets_invalid_request_id(device, request_id):
    client, dialect = device
    client.send_raw(json.dumps({"header": {"type": "command", "name": "Common.Status",
                                           "requestId": request_id, "version": "1.0"}}))
    assert ack_status(client.until(None, "acknowledge"), dialect) == "invalidRequestID"


def test_a_request_id_in_use_gets_invalid_request_id(device):
    client, dialect = device
    client.command("CashManagement.Reset", 5)         # 1 s at this pace: still running
    client.command("CashManagement.Reset", 5)
    assert ack_status(client.until(5, "acknowledge"), dialect) is None
    assert ack_status(client.until(5, "acknowledge"), dialect) == "invalidRequestID"
    assert completion_of(client.until(5, "completion"), dialect) == ("success", None)


def test_an_unknown_command_is_acknowledged_then_unsupported(device):
    client, dialect = device
    client.outside_subset.add("CashDispenser.Count")
    client.command("CashDispenser.Count", 3)
    assert ack_status(client.until(3, "acknowledge"), dialect) is None
    assert completion_of(client.until(3, "completion"), dialect)[0] == "unsupportedCommand"


def test_queued_commands_can_be_cancelled_or_time_out(device):
    client, dialect = device
    client.command("CashManagement.Reset", 10)          # runs for a second
    client.command("CashDispenser.Reject", 11)           # queued behind it
    client.command("CashDispenser.Reject", 12, timeout=100)
    cancel = client.call("Common.Cancel", 13, {"requestIds": [11]})
    assert completion_of(cancel, dialect)[0] == "success"
    assert completion_of(client.until(11, "completion"), dialect)[0] == "canceled"
    assert completion_of(client.until(10, "completion"), dialect)[0] == "success"
    assert completion_of(client.until(12, "completion"), dialect)[0] == "timeOut"


@pytest.mark.parametrize("counts, currencies, error_code", [
    ({"unit3": 2}, {"CZK": 900}, "invalidDenomination"),     # 2 x 500 is not 900
    ({"unit1": 41}, {"CZK": 4100}, "tooManyItems"),           # the limit is 40
    ({"unit9": 1}, {"CZK": 100}, "notDispensable"),           # no such dispensing unit
    ({"unit7": 1}, {"CZK": 100}, "notDispensable"),           # the reject bin
    ({"unit6": 11}, {"CZK": 55000}, "notDispensable"),        # F holds 10 (loaded below)
])
def test_a_dispense_is_refused_with_the_standard_code(device, counts, currencies, error_code):
    client, dialect = device
    load = {"storage": {"unit6": {"cash": {"status": {
        "initial": {"unrecognized": 0, "typeCZK5000": {"fit": 10}}}}}}}
    assert completion_of(client.call("Storage.SetStorage", 19, load), dialect)[0] == "success"
    reply = client.call("CashDispenser.Dispense", 20, dispense_payload(client, counts,
                                                                       currencies))
    assert completion_of(reply, dialect) == ("commandErrorCode", error_code)


def test_a_locked_unit_is_a_cash_unit_error_with_a_storage_error_event(device):
    client, dialect = device
    lock = {"storage": {"unit2": {"cash": {"configuration": {"appLockOut": True}}}}}
    assert completion_of(client.call("Storage.SetStorage", 30, lock), dialect)[0] == "success"
    reply = client.call("CashDispenser.Dispense", 31,
                        dispense_payload(client, {"unit2": 1}, {"CZK": 200}))
    assert completion_of(reply, dialect) == ("commandErrorCode", "cashUnitError")
    errors = [e for e in client.events(31) if e["header"]["name"] == "Storage.StorageErrorEvent"]
    assert errors and "unit2" in errors[0]["payload"]["unit"]


def test_present_needs_a_stack_and_dispense_needs_an_empty_position(device):
    client, dialect = device
    assert completion_of(client.call("CashDispenser.Present", 40, {"position": "outDefault"}),
                         dialect) == ("commandErrorCode", "noItems")
    payload = dispense_payload(client, {"unit1": 2}, {"CZK": 200})
    assert completion_of(client.call("CashDispenser.Dispense", 41, payload),
                         dialect) == ("success", None)
    assert completion_of(client.call("CashDispenser.Dispense", 42, payload),
                         dialect) == ("commandErrorCode", "itemsLeft")
    assert completion_of(client.call("CashDispenser.Reject", 43), dialect) == ("success", None)


def test_the_publisher_lists_the_service(device):
    client, dialect = device
    publisher = Client(client.publisher_url, dialect)
    reply = publisher.call("ServicePublisher.GetServices", 1)
    publisher.socket.close()
    services = reply["payload"]["services"]
    assert [s["serviceURI"].rsplit("/", 1)[-1] for s in services] == ["CashDispenser1"]


def test_a_client_may_ask_for_the_service_s_own_mix(device):
    """KAL's test client dispenses with `mix1` (minimum notes), not an application mix."""
    client, dialect = device
    if dialect == "2024-3":     # the 2024-3 schema covers the Dispense subset we drive only
        client.outside_subset.update({"CashDispenser.GetMixTypes", "CashDispenser.Denominate",
                                      "CashManagement.GetBankNoteTypes"})
    mixes = client.call("CashDispenser.GetMixTypes", 50)["payload"]["mixes"]
    assert mixes["mix1"]["algorithm"] == "minimumBills"
    notes = client.call("CashManagement.GetBankNoteTypes", 51)["payload"]["items"]
    assert notes["typeCZK2000"]["cashItem"] == {"noteID": 5, "currency": "CZK", "release": 0,
                                                "value": 2000}
    if dialect == "2021-1":
        mix = {"denomination": {"denomination": {"currencies": {"CZK": 3500}}, "mix": "mix1"},
               "position": "outDefault"}
        denominate = {"denomination": {"currencies": {"CZK": 3500}}, "mix": "mix1"}
    else:
        mix = {"denomination": {"denomination": {"service": {"currencies": {"CZK": 3500},
                                                             "mix": "mix1"}}},
               "position": "outDefault"}
        denominate = {"request": {"denomination": {"service": {"currencies": {"CZK": 3500},
                                                               "mix": "mix1"}}}}
    planned = client.call("CashDispenser.Denominate", 52, denominate)["payload"]
    planned = planned.get("result", planned)
    assert planned["values"] == {"unit5": 1, "unit4": 1, "unit3": 1}   # 2000 + 1000 + 500
    reply = client.call("CashDispenser.Dispense", 53, mix)
    assert completion_of(reply, dialect) == ("success", None)
    assert reply["payload"]["denomination"]["values"] == planned["values"]
    wrong = json.loads(json.dumps(mix).replace("mix1", "mix9"))
    client.call("CashDispenser.Reject", 54)
    assert completion_of(client.call("CashDispenser.Dispense", 55, wrong), dialect) == \
        ("commandErrorCode", "invalidMixNumber")


def test_the_publisher_answers_status_and_capabilities_too(device):
    client, dialect = device
    publisher = Client(client.publisher_url, dialect)
    status = publisher.call("Common.Status", 1)
    capabilities = publisher.call("Common.Capabilities", 2)
    publisher.socket.close()
    assert status["payload"]["common"]["device"] == "online"
    assert capabilities["payload"]["interfaces"][0]["name"] == "Common"
