"""The `xfs4iot://` driver beyond the contract suite: discovery, configuration checks, faults
as XFS4IoT reports them, dropped connections, device restarts, timeouts and TLS.

Every message the driver sends or receives is validated against its dialect's schema.
"""

from __future__ import annotations

import json
import shutil
import signal
import subprocess
import threading
from pathlib import Path

import pytest
from websockets.sync.server import serve

from denomination.cassettes import Cassette
from kiosk_service.hardware import (
    CashUnitError,
    CommandTimeout,
    ConfigurationMismatch,
    DeviceState,
    DeviceUnreachable,
    DispenserError,
    DriverURLError,
    EventKind,
    OutputPosition,
    PowerFailure,
    ShutterNotOpen,
    open_dispenser,
)
from sim.xfs4iot.cli import build_endpoint
from tests.xfs4iot.endpoint import endpoint_process, free_port, wait_listening
from tests.xfs4iot.validation import MessageRecorder

TERMINAL = Path(__file__).resolve().parents[2] / "config" / "terminals" / "demo-czk.toml"
DIALECTS = ("2021-1", "2024-3")


@pytest.fixture(params=DIALECTS)
def dialect(request):
    return request.param


@pytest.fixture
def recorder(dialect):
    recorder = MessageRecorder(dialect)
    yield recorder
    recorder.assert_valid()


@pytest.fixture
def endpoint(dialect):
    """Return a function starting an in-process endpoint; every one is stopped after."""
    started = []

    def start(**options):
        options.setdefault("take_after", 0.2)
        served = build_endpoint(TERMINAL, dialect=dialect, port=0, **options)
        served.start()
        started.append(served)
        return f"xfs4iot://127.0.0.1:{served.port}/xfs4iot/v1.0?dialect={dialect}&timeout=10"
    yield start
    for served in started:
        served.stop()
        served.service.device.close()


def test_unknown_and_bad_options_are_refused_at_once():
    with pytest.raises(DriverURLError) as caught:
        open_dispenser("xfs4iot://127.0.0.1:1/xfs4iot/v1.0?dialect=2019&timeout=0&colour=red")
    assert set(caught.value.details["errors"]) == {"dialect", "timeout", "colour"}
    assert {"dialect", "service", "timeout", "ca"} <= set(caught.value.details["allowed"])


def test_no_publisher_is_device_unreachable():
    with pytest.raises(DeviceUnreachable):
        open_dispenser(f"xfs4iot://127.0.0.1:{free_port()}/xfs4iot/v1.0")


def test_the_service_is_chosen_by_name_or_by_capabilities(endpoint, recorder):
    url = endpoint()
    with open_dispenser(url + "&service=CashDispenser1", observer=recorder.record) as device:
        assert device.status().device == DeviceState.ONLINE
    with pytest.raises(ConfigurationMismatch) as caught:
        open_dispenser(url + "&service=CardReader1")
    assert "CashDispenser1" in caught.value.message


def test_a_device_whose_notes_differ_from_the_file_is_refused_when_opened(endpoint, recorder):
    url = endpoint()
    wrong = [Cassette("A", "CZK", 20000, 600), Cassette("Z", "CZK", 10000, 5)]
    with pytest.raises(ConfigurationMismatch) as caught:
        open_dispenser(url, cassettes=wrong, observer=recorder.record)
    assert set(caught.value.details["errors"]) == {"A", "Z"}
    mapped = [Cassette("hundreds", "CZK", 10000, 600)]
    with open_dispenser(url, cassettes=mapped, units={"hundreds": "unit1"}) as device:
        assert device.status().cassette("hundreds").count == 600


def test_a_jam_is_a_cash_unit_error_with_what_moved(endpoint, recorder):
    with open_dispenser(endpoint(faults="jam:C:1"), observer=recorder.record) as device:
        with pytest.raises(CashUnitError) as caught:
            device.dispense({"C": 3})
        error = caught.value
        assert error.cassette == "C" and error.result is not None
        moved = error.result.notes["C"]
        assert (moved.picked, moved.stacked, moved.unknown) == (2, 1, 1)
        assert error.result.events_of(EventKind.JAM)
        status = device.status()
        assert status.cassette("C").status == "inoperative" and status.transport == {"C": 1}
        assert device.reset().total("rejected") == 1
        device.reject()
        assert device.status().reject_bin.count == 2


def test_a_cassette_found_short_reports_the_partial_dispense(endpoint, recorder):
    with open_dispenser(endpoint(faults="short:D:299"), observer=recorder.record) as device:
        with pytest.raises(CashUnitError) as caught:
            device.dispense({"D": 3})
        assert caught.value.result.notes["D"].stacked == 1
        assert device.status().cassette("D").count == 0
        incomplete = recorder.of("CashDispenser.IncompleteDispenseEvent")
        assert incomplete and incomplete[0]["payload"]["values"] == {"unit4": 1}


def test_power_loss_and_reset_recovers_the_cut_dispense(endpoint, recorder):
    with open_dispenser(endpoint(faults="power_loss:1:2"), observer=recorder.record) as device:
        with pytest.raises(PowerFailure) as caught:
            device.dispense({"A": 5})
        assert device.status().device == DeviceState.POWER_OFF
        recovered = device.reset().recovered
        assert recovered is not None and recovered.total("stacked") == \
            caught.value.result.total("stacked") == 2


def test_a_jammed_shutter_keeps_the_stack_until_reset(endpoint, recorder):
    with open_dispenser(endpoint(faults="shutter:1"), observer=recorder.record) as device:
        device.dispense({"A": 1})
        with pytest.raises(ShutterNotOpen) as caught:
            device.present()
        assert caught.value.result.events_of(EventKind.SHUTTER_JAMMED)
        assert device.status().position == OutputPosition.STACKED
        device.reset()
        assert device.present().position == OutputPosition.PRESENTED
        assert device.wait_for_take(5).taken


def test_a_take_during_the_retract_counts_as_taken(endpoint, recorder):
    with open_dispenser(endpoint(take_after=1.0), observer=recorder.record) as device:
        device.dispense({"B": 2})
        device.present()
        result = device.wait_for_take(0.1)     # the retract takes 3 s: the customer is quicker
        assert result.taken and result.total("taken") == 2
        assert result.events_of(EventKind.TAKE_TIMEOUT)
        assert device.status().retract_bin.count == 0


def test_a_connection_dropped_mid_dispense_is_reconciled_from_the_counters(endpoint, recorder):
    with open_dispenser(endpoint(faults="disconnect:1"), observer=recorder.record) as device:
        result = device.dispense({"A": 2, "B": 1}, amount=40000)
        assert result.completed and result.total("stacked") == 3
        assert device.present().total("presented") == 3
        assert device.wait_for_take(5).total("taken") == 3
        assert device.status().cassette("A").count == 598


def test_kal_codes_do_not_change_the_driver_s_refusals(endpoint):
    with open_dispenser(endpoint(kal_codes=True)) as device:
        with pytest.raises(DispenserError) as caught:
            device.dispense({"F": 41})     # KAL would answer cashUnitError
        assert caught.value.code == "too_many_items" and caught.value.result is None
        device.load([Cassette("F", "CZK", 500000, 10, capacity=1000, low_threshold=5)])
        with pytest.raises(DispenserError) as caught:
            device.dispense({"F": 11})     # KAL would answer tooManyItems
        assert caught.value.code == "not_dispensable" and caught.value.result is None


def test_a_device_process_restart_mid_presentation_loses_no_note(dialect, tmp_path):
    state, port = tmp_path / "device.json", free_port()
    options = ["--state", str(state), "--take-after", "1.5"]
    recorder = MessageRecorder(dialect)
    url = f"xfs4iot://127.0.0.1:{port}/xfs4iot/v1.0?dialect={dialect}&timeout=10"
    with endpoint_process(TERMINAL, dialect=dialect, port=port, extra=options) as (_, first):
        device = open_dispenser(url, observer=recorder.record)
        device.dispense({"C": 2})
        device.present()
        first.send_signal(signal.SIGKILL)
        first.wait(10)
    with endpoint_process(TERMINAL, dialect=dialect, port=port, extra=options):
        result = device.wait_for_take(10)
        assert result.taken and result.total("taken") == 2
        status = device.status()
        assert status.cassette("C").count == 398 and status.position.empty
        device.close()
    recorder.assert_valid()


def test_a_device_that_never_completes_times_out_and_is_cancelled(dialect):
    """A fake service: acknowledges every command, completes discovery and nothing else."""
    received: list[dict] = []
    port = free_port()

    def handle(socket):
        for text in socket:
            message = json.loads(text)
            received.append(message)
            header = message["header"]
            ack = {"header": {**{k: header[k] for k in ("name", "requestId", "version")},
                              "type": "acknowledge"}}
            if dialect == "2021-1":
                ack["payload"] = {"status": "ok"}
            socket.send(json.dumps(ack))
            answers = {"ServicePublisher.GetServices": {"services": [
                {"serviceURI": f"ws://127.0.0.1:{port}/xfs4iot/v1.0/Slow"}]},
                "Common.Capabilities": {"interfaces": [
                    {"name": n} for n in ("Common", "CashDispenser", "CashManagement",
                                          "Storage")],
                    "common": {}, "cashDispenser": {"maxDispenseItems": 40}},
                "Storage.GetStorage": {"storage": {}},
                "Common.Status": {"common": {"device": "online"}}}
            if header["name"] in answers:
                completion = {"header": {**ack["header"], "type": "completion"},
                              "payload": answers[header["name"]]}
                if dialect == "2021-1":
                    completion["payload"]["completionCode"] = "success"
                else:
                    completion["header"]["completionCode"] = "success"
                socket.send(json.dumps(completion))

    with serve(handle, "127.0.0.1", port) as server:
        threading.Thread(target=server.serve_forever, daemon=True).start()
        url = f"xfs4iot://127.0.0.1:{port}/xfs4iot/v1.0?dialect={dialect}&timeout=0.3"
        with open_dispenser(url) as device, pytest.raises(CommandTimeout):
            device.reset()
        server.shutdown()
    cancels = [m for m in received if m["header"]["name"] == "Common.Cancel"]
    reset = next(m for m in received if m["header"]["name"] == "CashManagement.Reset")
    assert cancels and cancels[0]["payload"]["requestIds"] == [reset["header"]["requestId"]]


@pytest.mark.skipif(shutil.which("openssl") is None, reason="needs the openssl command")
def test_xfs4iots_speaks_tls_with_a_trusted_certificate(tmp_path):
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
                    "-subj", "/CN=localhost", "-addext", "subjectAltName=IP:127.0.0.1",
                    "-keyout", str(key), "-out", str(cert)], check=True, capture_output=True)
    port = free_port()
    command = ["--certfile", str(cert), "--keyfile", str(key), "--take-after", "0.1"]
    with endpoint_process(TERMINAL, dialect="2024-3", port=port, extra=command) as (_, process):
        wait_listening(port, process)
        with pytest.raises(DeviceUnreachable):
            open_dispenser(f"xfs4iots://127.0.0.1:{port}/xfs4iot/v1.0")   # not trusted
        with open_dispenser(f"xfs4iots://127.0.0.1:{port}/xfs4iot/v1.0?ca={cert}") as device:
            device.dispense({"A": 1})
            device.present()
            assert device.wait_for_take(5).taken
