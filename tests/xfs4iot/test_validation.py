"""The XFS4IoT message validator: every message Cashmix uses passes in both dialects, and the
mistakes a driver or simulator makes fail with the problem where it is."""

import pytest

from tests.xfs4iot.validation import (
    MessageRecorder,
    known_messages,
    message_problems,
    transcript_problems,
    validate_message,
    validate_transcript,
)

POSITION = "outDefault"
TOTAL = {"CZK": 5500}                                    # 2 x 2000 + 1 x 1000 + 1 x 500
COUNTS = {"unit3": 2, "unit4": 1, "unit5": 1}


def header(type_, name, version, request_id=None, **extra):
    found = {"type": type_, "name": name, "version": version, **extra}
    if request_id is not None:
        found["requestId"] = request_id
    return found


def message(header_, payload=None):
    return {"header": header_} if payload is None else {"header": header_, "payload": payload}


def storage_unit(**status):
    """A CZK 2000 cash-out unit as GetStorage reports it (both dialects accept this shape)."""
    return {"id": "CZK2K", "positionName": "Slot 3", "capacity": 2500, "status": "ok",
            "serialNumber": "SIM-3",
            "cash": {"capabilities": {"types": {"cashOut": True}, "items": {"fit": True},
                                      "hardwareSensors": False, "retractAreas": 1,
                                      "cashItems": ["typeCZK2000"]},
                     "configuration": {"types": {"cashOut": True}, "items": {"fit": True},
                                       "currency": "CZK", "value": 2000, "highThreshold": 2400,
                                       "lowThreshold": 50, "appLockIn": False,
                                       "appLockOut": False, "cashItems": ["typeCZK2000"],
                                       "name": "CZK 2000"},
                     "status": {"index": 3, "initial": {"unrecognized": 0,
                                                        "typeCZK2000": {"fit": 1000}},
                                "out": {"presented": {"typeCZK2000": {"fit": 12}},
                                        "stacked": {"typeCZK2000": {"fit": 0}}},
                                "in": {"retractOperations": 0},
                                "accuracy": "accurate", "replenishmentStatus": "ok",
                                **status}}}


# -- 2024-3: header carries timeout, completionCode and status; versions per message --------

def command_24(name, version, request_id, payload=None):
    return message(header("command", name, version, request_id, timeout=60000), payload)


def ack_24(name, version, request_id):
    return message(header("acknowledge", name, version, request_id))


def completion_24(name, version, request_id, payload=None, code="success", **extra):
    return message(header("completion", name, version, request_id, completionCode=code,
                          **extra), payload)


DENOMINATION = {"currencies": TOTAL, "values": COUNTS}
RETRACTED = {"unit1": {"retractOperations": 1, "retracted": {"typeCZK2000": {"fit": 2}}}}

EXCHANGES_24 = {      # name: (version of command, command payload, version of completion,
    # completion payloads)
    "ServicePublisher.GetServices": ("2.0", None, "2.0", [
        {"vendorName": "Cashmix Sim",
         "services": [{"serviceURI": "ws://127.0.0.1:5846/xfs4iot/v1.0/CashDispenser1/"}]}]),
    "Common.Capabilities": ("2.0", None, "3.0", [
        {"interfaces": [{"name": "CashDispenser",
                         "commands": {"CashDispenser.Dispense": {"versions": ["3.0"]}},
                         "events": {"CashDispenser.StartDispenseEvent": {"versions": ["2.0"]}},
                         "maximumRequests": 10},
                        {"name": "Storage", "commands": {
                            "Storage.GetStorage": {"versions": ["2.0"]}}}],
         "common": {"serviceVersion": "1.0",
                    "deviceInformation": [{"modelName": "Cashmix Sim", "firmware": [
                        {"firmwareName": "sim", "firmwareVersion": "1"}]}],
                    "endToEndSecurity": {"required": "ifConfigured",
                                         "hardwareSecurityElement": False,
                                         "responseSecurityEnabled": "ifConfigured",
                                         "commands": [], "commandNonceTimeout": 0}},
         "cashDispenser": {"type": "selfServiceBill", "maxDispenseItems": 40,
                           "shutterControl": True,
                           "retractAreas": {"retract": True, "reject": True},
                           "intermediateStacker": True, "itemsTakenSensor": True,
                           "positions": {"center": True}},
         "cashManagement": {"cashBox": False, "exchangeType": {"byHand": True}}}]),
    "Common.Status": ("2.0", None, "3.0", [
        {"common": {"device": "online", "exchange": "inactive"},
         "cashDispenser": {"intermediateStacker": "empty", "positions": [
             {"position": POSITION, "shutter": "closed", "positionStatus": "empty",
              "transport": "ok", "transportStatus": "empty"}]},
         "cashManagement": {"dispenser": "ok"}}]),
    "Common.Cancel": ("2.0", {"requestIds": [7]}, "2.0",
                      [None, {"errorCode": "noMatchingRequestIDs"}]),
    "Storage.GetStorage": ("2.0", None, "2.1", [{"storage": {"unit3": storage_unit()}}]),
    "Storage.SetStorage": ("2.1", {"storage": {"unit3": {"cash": {
        "configuration": {"lowThreshold": 40},
        "status": {"initial": {"unrecognized": 0, "typeCZK2000": {"fit": 1000}}}}}}},
        "2.0", [None, {"errorCode": "invalidUnit"}]),
    "CashDispenser.Dispense": ("3.0", {
        "denomination": {"denomination": {"app": {"currencies": TOTAL, "counts": COUNTS}}},
        "position": POSITION}, "3.0",
        [{"denomination": DENOMINATION, "bunches": "1"}, {"errorCode": "tooManyItems"}]),
    "CashDispenser.Present": ("2.0", {"position": POSITION}, "2.0",
                              [{"position": {"position": POSITION, "additionalBunches": "0"}},
                               {"errorCode": "noItems"}]),
    "CashDispenser.Reject": ("2.0", None, "2.0", [None, {"errorCode": "noItems"}]),
    "CashDispenser.GetPresentStatus": ("2.0", {"position": POSITION}, "3.0", [
        {"denomination": DENOMINATION, "presentState": "presented"}]),
    "CashManagement.Retract": ("2.0", {"location": {"retractArea": "retract", "index": 1}},
                               "2.0", [{"storage": RETRACTED}, {"errorCode": "itemsTaken"}]),
    "CashManagement.Reset": ("2.0", {"position": {"target": POSITION}}, "2.0",
                             [None, {"storage": RETRACTED}]),
}


def messages_24():
    for request_id, (name, (version, payload, completed, results)) in enumerate(
            EXCHANGES_24.items(), start=1):
        yield command_24(name, version, request_id, payload)
        yield ack_24(name, version, request_id)
        for result in results:
            failed = result is not None and "errorCode" in result
            yield completion_24(name, completed, request_id, result,
                                "commandErrorCode" if failed else "success",
                                **({"errorDescription": "simulated"} if failed else {}))
    request_id = 2                          # the Dispense of EXCHANGES_24
    yield message(header("event", "CashDispenser.StartDispenseEvent", "2.0", request_id))
    yield message(header("event", "CashDispenser.IncompleteDispenseEvent", "3.0", request_id),
                  {"currencies": {"CZK": 2000}, "values": {"unit3": 1}})
    yield message(header("event", "CashManagement.NoteErrorEvent", "2.0", request_id),
                  {"reason": "doubleNote"})
    yield message(header("event", "Storage.StorageErrorEvent", "2.1", request_id),
                  {"failure": "error", "unit": {"unit3": storage_unit()}})
    items = {"position": POSITION, "additionalBunches": "0"}
    for type_ in ("unsolicited", "event"):          # KAL sends `event` without a requestId
        yield message(header(type_, "CashManagement.ItemsPresentedEvent", "2.0"), items)
        yield message(header(type_, "CashManagement.ItemsTakenEvent", "2.0"), items)
        yield message(header(type_, "CashManagement.ShutterStatusChangedEvent", "2.0"),
                      {"position": POSITION, "shutter": "open"})
        yield message(header(type_, "Storage.StorageThresholdEvent", "2.1"),
                      {"unit3": storage_unit(replenishmentStatus="low")})
        yield message(header(type_, "Storage.StorageChangedEvent", "2.1"),
                      {"unit3": storage_unit()})
        yield message(header(type_, "Storage.CountsChangedEvent", "2.0"),
                      {"unit3": storage_unit()})
        yield message(header(type_, "Common.StatusChangedEvent", "3.0"),
                      {"common": {"device": "hardwareError"},
                       "cashManagement": {"dispenser": "attention"}})


# -- 2021-1: version "1.0", timeout and completionCode in the payload ------------------------

def command_21(name, request_id, payload=None):
    return message(header("command", name, "1.0", request_id), {"timeout": 60000,
                                                                 **(payload or {})})


def ack_21(name, request_id, status="ok"):
    return message(header("acknowledge", name, "1.0", request_id), {"status": status})


def completion_21(name, request_id, payload=None, code="success"):
    return message(header("completion", name, "1.0", request_id),
                   {"completionCode": code, **(payload or {})})


EXCHANGES_21 = {      # name: (command payload, completion payloads)
    "ServicePublisher.GetServices": (None, [
        {"vendorName": "Cashmix Sim",
         "services": [{"serviceURI": "ws://127.0.0.1:5846/xfs4iot/v1.0/CashDispenser1/"}]}]),
    "Common.Capabilities": (None, [
        {"interfaces": [{"name": "CashDispenser",
                         "commands": {"CashDispenser.Dispense": {"versions": ["1.0"]}},
                         "events": {"CashDispenser.StartDispenseEvent": {"versions": ["1.0"]}},
                         "maximumRequests": 10}],
         "common": {"serviceVersion": "1.0", "deviceInformation": [{"modelName": "Sim"}]},
         "cashDispenser": {"type": "selfServiceBill", "maxDispenseItems": 40,
                           "shutterControl": True, "intermediateStacker": True,
                           "itemsTakenSensor": True, "positions": {"center": True}},
         "cashManagement": {"cashBox": False}}]),
    "Common.Status": (None, [
        {"common": {"device": "online"},
         "cashDispenser": {"intermediateStacker": "empty", "positions": [
             {"position": POSITION, "shutter": "closed", "positionStatus": "empty",
              "transport": "ok", "transportStatus": "empty"}]},
         "cashManagement": {"dispenser": "ok", "safeDoor": "doorClosed"}}]),
    "Common.Cancel": ({"requestIds": [7]}, [None, {"errorCode": "noMatchingRequestIDs"}]),
    "Storage.GetStorage": (None, [{"storage": {"unit3": storage_unit()}}]),
    "Storage.SetStorage": ({"storage": {"unit3": {"cash": {"status": {"initial": {
        "unrecognized": 0, "typeCZK2000": {"fit": 1000}}}}}}}, [None]),
    "CashDispenser.Dispense": (
        {"denomination": {"denomination": {"currencies": TOTAL, "values": COUNTS}},
         "position": POSITION},
        [{"denomination": DENOMINATION, "bunches": "1"}, {"errorCode": "notDispensable"}]),
    "CashDispenser.Present": ({"position": POSITION},      # 2021-1: a flat position info
                              [{"position": POSITION, "additionalBunches": "0"},
                               {"errorCode": "shutterNotOpen"}]),
    "CashDispenser.Reject": (None, [None, {"errorCode": "noItems"}]),
    "CashDispenser.GetPresentStatus": ({"position": POSITION}, [
        {"denomination": DENOMINATION, "presentState": "notPresented"}]),
    "CashManagement.Retract": ({"retractArea": "retract", "index": 1},
                               [{"storage": RETRACTED}, {"errorCode": "itemsTaken"}]),
    "CashManagement.Reset": ({"outputPosition": POSITION}, [None]),
}


def messages_21():
    for request_id, (name, (payload, results)) in enumerate(EXCHANGES_21.items(), start=1):
        yield command_21(name, request_id, payload)
        yield ack_21(name, request_id)
        for result in results:
            failed = result is not None and "errorCode" in result
            yield completion_21(name, request_id, result,
                                "commandErrorCode" if failed else "success")
    request_id = 2
    yield message(header("event", "CashDispenser.StartDispenseEvent", "1.0", request_id), {})
    yield message(header("event", "CashDispenser.IncompleteDispenseEvent", "1.0", request_id),
                  {"currencies": {"CZK": 2000}, "values": {"unit3": 1}})
    yield message(header("event", "CashManagement.NoteErrorEvent", "1.0", request_id),
                  {"reason": "doubleNote"})
    yield message(header("event", "Storage.StorageErrorEvent", "1.0", request_id),
                  {"failure": "error", "unit": {"unit3": storage_unit()}})
    items = {"position": {"position": POSITION, "additionalBunches": "0"}}  # 2021-1: nested
    for type_ in ("unsolicited", "event"):          # `event` without requestId is unsolicited
        yield message(header(type_, "CashManagement.ItemsPresentedEvent", "1.0"), items)
        yield message(header(type_, "CashManagement.ItemsTakenEvent", "1.0"), items)
        yield message(header(type_, "CashManagement.ShutterStatusChangedEvent", "1.0"),
                      {"position": POSITION, "shutter": "closed"})
        yield message(header(type_, "Storage.StorageThresholdEvent", "1.0"),
                      {"unit3": storage_unit(replenishmentStatus="low")})
        yield message(header(type_, "Storage.StorageChangedEvent", "1.0"),
                      {"unit3": storage_unit()})
        yield message(header(type_, "Common.StatusChangedEvent", "1.0"), {"device": "online"})


def label(found):
    return f"{found['header']['type']}-{found['header']['name']}"


VALID = [("2024-3", found) for found in messages_24()] + [
    ("2021-1", found) for found in messages_21()]


@pytest.mark.parametrize(("dialect", "found"), VALID,
                         ids=[f"{dialect}-{label(found)}" for dialect, found in VALID])
def test_every_message_of_the_subset_passes(dialect, found):
    validate_message(found, dialect)


def test_the_examples_cover_the_subset_in_both_dialects():
    for dialect, examples in (("2024-3", messages_24()), ("2021-1", messages_21())):
        covered = {(m["header"]["type"], m["header"]["name"]) for m in examples}
        for name in EXCHANGES_24:
            assert {("command", name), ("acknowledge", name), ("completion", name)} <= covered
        events = {"CashDispenser.StartDispenseEvent", "CashDispenser.IncompleteDispenseEvent",
                  "CashManagement.NoteErrorEvent", "Storage.StorageErrorEvent"}
        unsolicited = {"CashManagement.ItemsPresentedEvent", "CashManagement.ItemsTakenEvent",
                       "CashManagement.ShutterStatusChangedEvent",
                       "Storage.StorageThresholdEvent", "Storage.StorageChangedEvent",
                       "Common.StatusChangedEvent"}
        if dialect == "2024-3":
            unsolicited.add("Storage.CountsChangedEvent")
        assert {("event", name) for name in events} <= covered
        assert {("unsolicited", name) for name in unsolicited} <= covered


def codes(found, dialect):
    return {(problem.where, problem.code) for problem in message_problems(found, dialect)}


def test_the_2024_3_versions_are_kals():
    known = known_messages("2024-3")
    for key in [("command", "CashDispenser.Dispense", "3.0"),
                ("completion", "CashDispenser.Dispense", "3.0"),
                ("event", "CashDispenser.IncompleteDispenseEvent", "3.0"),
                ("completion", "CashDispenser.GetPresentStatus", "3.0"),
                ("command", "CashDispenser.GetPresentStatus", "2.0"),
                ("completion", "Storage.GetStorage", "2.1"),
                ("command", "Storage.SetStorage", "2.1"),
                ("completion", "Storage.SetStorage", "2.0"),
                ("event", "Storage.StorageErrorEvent", "2.1"),
                ("unsolicited", "Storage.CountsChangedEvent", "2.0"),
                ("completion", "Common.Status", "3.0"),
                ("completion", "Common.Capabilities", "3.0"),
                ("unsolicited", "Common.StatusChangedEvent", "3.0"),
                ("acknowledge", "CashDispenser.Dispense", "3.0")]:
        assert key in known
    assert ("completion", "Common.Status", "2.0") not in known


def test_the_2021_1_rules_come_from_the_schemas_root():
    known = known_messages("2021-1")
    assert ("command", "Storage.GetStorage", "1.0") in known      # the generic Common.Command
    assert ("completion", "Common.Cancel", "1.0") in known        # Common.CancelCommandCompletion
    assert ("acknowledge", None, "1.0") in known                  # one for every acknowledge
    assert ("event", "Common.StatusChangedEvent", "1.0") not in known   # only unsolicited
    assert not {key for key in known if key[1] == "Storage.CountsChangedEvent"}


@pytest.mark.parametrize("dialect", ["2021-1", "2024-3"])
def test_a_misspelt_name_at_version_1_0_hits_no_rule(dialect):
    found = command_21("CashDispenser.Dispence", 3, {"position": POSITION})
    if dialect == "2024-3":
        found = command_24("CashDispenser.Dispence", "1.0", 3, {"position": POSITION})
    assert codes(found, dialect) == {("header", "no_rule")}


def test_a_2024_3_message_at_another_version_hits_no_rule():
    found = completion_24("Common.Status", "2.0", 4, {"common": {"device": "online"}})
    assert codes(found, "2024-3") == {("header", "no_rule")}


@pytest.mark.parametrize("dialect", ["2021-1", "2024-3"])
def test_an_acknowledge_of_an_unknown_command_hits_no_rule(dialect):
    found = (ack_21("CashDispenser.Dispence", 3) if dialect == "2021-1"
             else ack_24("CashDispenser.Dispence", "3.0", 3))
    assert codes(found, dialect) == {("header", "no_rule")}


def test_a_dispense_with_a_string_count_fails_in_2024_3():
    found = command_24("CashDispenser.Dispense", "3.0", 7, {
        "denomination": {"denomination": {"app": {"currencies": TOTAL,
                                                  "counts": {"unit3": "2"}}}}})
    assert codes(found, "2024-3") == {
        ("payload.denomination.denomination.app.counts.unit3", "type")}


def test_a_dispense_with_a_string_count_fails_in_2021_1():
    found = command_21("CashDispenser.Dispense", 7, {
        "denomination": {"denomination": {"currencies": TOTAL, "values": {"unit3": "2"}}}})
    assert codes(found, "2021-1") == {("payload.denomination.denomination.values.unit3", "type")}


def test_a_2021_1_dispense_with_a_unit_key_not_named_unit_fails():
    found = command_21("CashDispenser.Dispense", 7, {
        "denomination": {"denomination": {"currencies": TOTAL, "values": {"cassette3": 2}}}})
    assert codes(found, "2021-1") == {("payload.denomination.denomination.values",
                                       "unknown_key")}


def test_a_2024_3_dispense_with_a_unit_key_not_named_unit_fails():
    found = command_24("CashDispenser.Dispense", "3.0", 7, {
        "denomination": {"denomination": {"app": {"currencies": TOTAL,
                                                  "counts": {"cassette3": 2}}}}})
    assert codes(found, "2024-3") == {("payload.denomination.denomination.app.counts",
                                       "unknown_key")}


def test_a_2024_3_completion_with_the_completion_code_in_the_payload_fails():
    found = message(header("completion", "CashDispenser.Present", "2.0", 9),
                    {"completionCode": "success",
                     "position": {"position": POSITION, "additionalBunches": "0"}})
    assert codes(found, "2024-3") == {("payload", "unknown_key"), ("header", "required")}


def test_a_2024_3_header_with_an_unknown_key_fails():
    found = command_24("CashDispenser.Present", "2.0", 9, {"position": POSITION})
    found["header"]["timout"] = 1000
    assert codes(found, "2024-3") == {("header", "unknown_key")}


def test_a_2021_1_header_with_a_2024_3_key_fails():
    found = command_21("CashDispenser.Present", 9, {"position": POSITION})
    found["header"]["timeout"] = 1000
    assert codes(found, "2021-1") == {("header", "unknown_key")}


def test_an_acknowledge_with_an_unknown_status_fails_in_2021_1():
    assert codes(ack_21("Common.Status", 1, status="accepted"), "2021-1") == {
        ("payload.status", "enum")}


def test_an_acknowledge_with_an_unknown_status_fails_in_2024_3():
    found = ack_24("Common.Status", "2.0", 1)
    found["header"]["status"] = "ok"                 # 2024-3: an accepted ack has no status
    assert codes(found, "2024-3") == {("header.status", "enum")}


def test_each_dialect_refuses_the_other_dialects_layouts():
    retract_24 = command_24("CashManagement.Retract", "2.0", 5, {"retractArea": "retract"})
    retract_21 = command_21("CashManagement.Retract", 5, {"location": {"retractArea": "retract"}})
    dispense_21 = command_21("CashDispenser.Dispense", 7, {
        "denomination": {"denomination": {"app": {"currencies": TOTAL, "counts": COUNTS}}}})
    assert codes(retract_24, "2024-3") == {("payload", "unknown_key")}
    assert codes(retract_21, "2021-1") == {("payload", "unknown_key")}
    assert codes(dispense_21, "2021-1") == {("payload.denomination.denomination",
                                             "unknown_key")}


def test_an_event_without_a_payload_refuses_one_in_2021_1():
    found = message(header("event", "CashDispenser.StartDispenseEvent", "1.0", 2), {"x": 1})
    assert codes(found, "2021-1") == {("payload", "unknown_key")}


def test_a_storage_count_is_an_object_of_counts_in_2024_3():
    unit = storage_unit(initial={"typeCZK2000": 1000})
    found = completion_24("Storage.GetStorage", "2.1", 3, {"storage": {"unit3": unit}})
    assert codes(found, "2024-3") == {
        ("payload.storage.unit3.cash.status.initial.typeCZK2000", "type")}


def test_a_2021_1_completion_needs_its_completion_code():
    found = message(header("completion", "CashDispenser.Reject", "1.0", 4), {})
    assert codes(found, "2021-1") == {("payload", "required")}


def test_a_command_event_needs_the_request_id_and_an_unsolicited_one_has_none():
    note_error_21 = message(header("event", "CashManagement.NoteErrorEvent", "1.0"),
                            {"reason": "doubleNote"})
    note_error_24 = message(header("event", "CashManagement.NoteErrorEvent", "2.0"),
                            {"reason": "doubleNote"})
    taken_24 = message(header("event", "CashManagement.ItemsTakenEvent", "2.0", 3),
                       {"position": POSITION})
    assert codes(note_error_21, "2021-1") == {("header", "no_rule")}
    assert codes(note_error_24, "2024-3") == {("header", "required")}
    assert codes(taken_24, "2024-3") == {("header", "unknown_key")}


def test_a_message_without_a_payload_object_fails_in_2021_1():
    found = message(header("command", "Common.Status", "1.0", 1))
    assert codes(found, "2021-1") == {("message", "required")}


def test_an_unknown_dialect_is_refused():
    with pytest.raises(ValueError):
        validate_message(ack_24("Common.Status", "2.0", 1), "2023-2")


def test_validate_message_raises_assertion_error_listing_problems():
    with pytest.raises(AssertionError):
        validate_message(ack_21("Common.Status", 1, status="accepted"), "2021-1")


def test_a_transcript_names_its_bad_lines():
    lines = [{"direction": "to_device", "message": command_24("Common.Status", "2.0", 1)},
             {"direction": "to_client", "message": ack_24("Common.Status", "2.0", 1)},
             {"direction": "to_client", "message": completion_24(
                 "Common.Status", "2.0", 1, {"common": {"device": "online"}})},
             {"direction": "sideways", "message": ack_24("Common.Status", "2.0", 1)}]
    assert [(number, problem.code) for number, problem in transcript_problems(
        lines, "2024-3")] == [(3, "no_rule"), (4, "bad_line")]
    validate_transcript(lines[:2], "2024-3")
    with pytest.raises(AssertionError):
        validate_transcript(lines, "2024-3")


def test_the_recorder_keeps_every_message_and_fails_on_a_bad_one():
    recorder = MessageRecorder("2021-1")
    recorder.on_message("to_device", command_21("CashDispenser.Reject", 4))
    recorder.record("to_client", ack_21("CashDispenser.Reject", 4))
    with pytest.raises(AssertionError):
        recorder.record("to_client", message(header("completion", "CashDispenser.Reject",
                                                    "1.0", 4), {}))
    assert [entry["direction"] for entry in recorder.messages] == [
        "to_device", "to_client", "to_client"]
    assert len(recorder.of("CashDispenser.Reject", "completion")) == 1
    assert len(recorder.failures) == 1
    with pytest.raises(AssertionError):
        recorder.assert_valid()


def test_json_text_is_checked_like_its_message():
    text = '{"header": {"type": "acknowledge", "name": "Common.Status", "version": "2.0", ' \
           '"requestId": 1}}'
    assert message_problems(text, "2024-3") == []
    assert [problem.code for problem in message_problems("{not json", "2024-3")] == ["not_json"]
    recorder = MessageRecorder("2024-3")
    recorder.on_message("to_client", text.encode())
    assert recorder.of("Common.Status", "acknowledge") == [ack_24("Common.Status", "2.0", 1)]


def test_the_recorder_keeps_a_copy():
    recorder = MessageRecorder("2024-3")
    sent = ack_24("Common.Status", "2.0", 1)
    recorder.record("to_client", sent)
    sent["header"]["requestId"] = 99
    assert recorder.messages[0]["message"]["header"]["requestId"] == 1
    recorder.assert_valid()
