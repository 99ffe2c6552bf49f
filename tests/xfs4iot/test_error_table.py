"""Every XFS4IoT completion code, acknowledge status and error code of the messages the
driver sends maps to one of our named errors, in the one table (XFS_ERRORS)."""

from __future__ import annotations

import json

import pytest

from kiosk_service.hardware import XFS_ERRORS, DispenserError
from tests.xfs4iot.validation import SCHEMA_2021_1 as SCHEMA

COMMANDS = ("CashDispenser.Dispense", "CashDispenser.Present", "CashDispenser.Reject",
            "CashDispenser.GetPresentStatus", "CashManagement.Retract",
            "CashManagement.Reset", "Storage.SetStorage")
#: Codes that 2024-3 added to these commands (KAL_XFS4IoT_SP-Dev completions' _g.cs).
NEWER_CODES = {"safeDoorOpen", "positionNotEmpty", "authorisationRequired"}


def _enum_of(node) -> list[str]:
    """Return the errorCode enum inside a completion definition."""
    if isinstance(node, dict):
        error_code = (node.get("properties") or {}).get("errorCode")
        if isinstance(error_code, dict) and "enum" in error_code:
            return error_code["enum"]
        return [code for value in node.values() for code in _enum_of(value)]
    if isinstance(node, list):
        return [code for value in node for code in _enum_of(value)]
    return []


@pytest.fixture(scope="module")
def schema():
    if not SCHEMA.exists():
        pytest.skip(f"needs the XFS4IoT 2021-1 schema at {SCHEMA} (the shared reference folder "
                    "beside the checkout, or CASHMIX_XFS4IOT_2021_SCHEMA)")
    return json.loads(SCHEMA.read_text(encoding="utf-8"))


def test_every_completion_code_and_ack_status_has_an_error(schema):
    shared = schema["$defs"]["schemas"]["2021-01"]
    codes = set(shared["Common.CompletionCodeEnum"]["enum"]) - {"success", "commandErrorCode"}
    statuses = set(schema["$defs"]["messages"]["Common.Acknowledge"]["1.0"]["properties"]
                   ["status"]["enum"]) - {"ok"}
    assert codes | statuses <= set(XFS_ERRORS)


@pytest.mark.parametrize("command", COMMANDS)
def test_every_error_code_of_the_commands_we_send_has_an_error(schema, command):
    completion = schema["$defs"]["messages"][f"{command}Completion"]["1.0"]
    codes = set(_enum_of(completion))
    assert codes, command
    assert codes <= set(XFS_ERRORS)


def test_the_table_maps_to_named_errors_only():
    assert set(XFS_ERRORS) >= NEWER_CODES
    assert all(issubclass(cls, DispenserError) and cls.code != DispenserError.code
               for cls in XFS_ERRORS.values())
