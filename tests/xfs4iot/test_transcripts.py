"""The recorded transcripts (tests/xfs4iot/transcripts/, shown in docs/xfs4iot.md) are valid
XFS4IoT, show what each case is about, and are what the driver and endpoint do today."""

from __future__ import annotations

import pytest

from tests.xfs4iot.transcripts import CASES, DIALECTS, load, record
from tests.xfs4iot.validation import transcript_problems

#: What each case's transcript must contain: (header name, completion or error code / event).
SHOWS = {
    "normal": [("CashDispenser.Dispense", "success"), ("CashManagement.ItemsTakenEvent", None)],
    "no-take": [("CashManagement.Retract", "success")],
    "take-during-retract": [("CashManagement.Retract", "itemsTaken")],
    "jam": [("Storage.StorageErrorEvent", None), ("CashDispenser.Dispense", "cashUnitError"),
            ("CashManagement.Reset", "success")],
    "partial": [("CashDispenser.IncompleteDispenseEvent", None),
                ("CashDispenser.Dispense", "cashUnitError")],
    "double-pick": [("CashManagement.NoteErrorEvent", None),
                    ("CashDispenser.Dispense", "success")],
    "power-loss": [("CashDispenser.Dispense", "hardwareError"),
                   ("CashManagement.Reset", "success")],
    "shutter-jam": [("CashManagement.ShutterStatusChangedEvent", None),
                    ("CashDispenser.Present", "shutterNotOpen")],
    "disconnect": [("CashDispenser.Dispense", None), ("CashManagement.ItemsTakenEvent", None)],
}


def outcome_of(message: dict) -> tuple[str, str | None]:
    header, payload = message["header"], message.get("payload") or {}
    if header["type"] != "completion":
        return header["name"], None
    code = header.get("completionCode") or payload.get("completionCode")
    return header["name"], payload.get("errorCode") or code


def commands(lines: list[dict]) -> list[tuple[str, str | None]]:
    return [outcome_of(line["message"]) for line in lines
            if line["message"]["header"]["type"] in ("command", "completion")]


@pytest.mark.parametrize("dialect", DIALECTS)
@pytest.mark.parametrize("case", sorted(CASES))
def test_each_transcript_is_valid_and_shows_its_case(case, dialect):
    lines = load(case, dialect)
    assert transcript_problems(lines, dialect) == []
    seen = [outcome_of(line["message"]) for line in lines]
    for name, code in SHOWS[case]:
        assert any(n == name and (code is None or c == code) for n, c in seen), (name, code)


@pytest.mark.parametrize("case, dialect", [("normal", "2021-1"), ("jam", "2024-3"),
                                           ("take-during-retract", "2024-3")])
def test_a_transcript_is_what_the_code_does_today(case, dialect):
    assert commands(record(case, dialect)) == commands(load(case, dialect))
