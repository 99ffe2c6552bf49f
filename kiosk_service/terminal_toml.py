"""Terminal files written and compared: the live terminal as TOML, what an import would change,
and the line of a field in a file (for `kiosk-service config validate|export|diff`)."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from denomination.catalogue import default_catalogue
from denomination.money import face_value
from kiosk_service.records import Terminal

TOP_LEVEL = ("id", "name", "currency", "note_limit", "host_secret_env", "dispenser", "region")
CASSETTE_FIELDS = ("id", "denomination", "capacity", "count", "low_threshold", "status",
                   "locked", "unit")


def terminal_mapping(terminal: Terminal) -> dict[str, Any]:
    """Return the file form of `terminal` (face values as printed), what the loader reads back
    into an equal Terminal. No `policy` key when the terminal has none."""
    currency = default_catalogue().currency(terminal.currency)
    data: dict[str, Any] = {"id": terminal.id, "name": terminal.name,
                            "currency": terminal.currency, "note_limit": terminal.note_limit,
                            "host_secret_env": terminal.host_secret_env}
    if terminal.dispenser_url is not None:
        data["dispenser"] = terminal.dispenser_url
    if terminal.region is not None:
        data["region"] = terminal.region
    if terminal.policy is not None:
        policy = terminal.policy.to_mapping(currency)
        data["policy"] = policy
    data["cassettes"] = []
    for cassette in terminal.cassettes:
        entry = {"id": cassette.id,
                 "denomination": _printed(face_value(cassette.denomination, currency.exponent)),
                 "capacity": cassette.capacity, "count": cassette.count,
                 "low_threshold": cassette.low_threshold, "status": str(cassette.status),
                 "locked": cassette.locked, "unit": terminal.unit_names.get(cassette.id)}
        data["cassettes"].append({k: v for k, v in entry.items() if v is not None})
    return data


def to_toml(terminal: Terminal) -> str:
    """Return the terminal as a TOML terminal file that validates and imports to the same state."""
    data = terminal_mapping(terminal)
    lines = [f"# Exported from the live terminal {terminal.id}; counts as they stood then.", ""]
    lines += [f"{key} = {_value(data[key])}" for key in TOP_LEVEL if key in data]
    policy = data.get("policy")
    if policy is not None:
        lines += ["", "[policy]"]
        lines += [f"{key} = {_value(value)}" for key, value in policy.items() if key != "reserve"]
        lines += ["", "[policy.reserve]"]
        lines += [f"{_value(str(face))} = {count}" for face, count in policy["reserve"].items()]
    for cassette in data["cassettes"]:
        lines += ["", "[[cassettes]]"]
        lines += [f"{key} = {_value(cassette[key])}" for key in CASSETTE_FIELDS if key in cassette]
    return "\n".join(lines) + "\n"


def diff(live: Terminal | None, incoming: Terminal) -> list[str]:
    """Return what importing `incoming` over `live` (None: a new terminal) would change, one
    line per field: `~ field: before -> after`, `+ field: value`, `- field: value`."""
    before = {} if live is None else _flat(terminal_mapping(live))
    after = _flat(terminal_mapping(incoming))
    changes = []
    for key in [*before, *(k for k in after if k not in before)]:
        if key not in after:
            changes.append(f"- {key}: {_value(before[key])}")
        elif key not in before:
            changes.append(f"+ {key}: {_value(after[key])}")
        elif before[key] != after[key]:
            changes.append(f"~ {key}: {_value(before[key])} -> {_value(after[key])}")
    return changes


def line_of(text: str, where: str) -> int | None:
    """Return the 1-based line of the field `where` ("cassettes.2.count", "policy.offered",
    "name") in a terminal file's text, or None when it is not written there (a missing field).
    """
    table, key = _table_and_key(where)
    header, current, cassettes = None, "", -1
    for number, line in enumerate(text.splitlines(), start=1):
        stripped = line.strip()
        if stripped.startswith("[[cassettes]]"):
            cassettes += 1
            current = f"cassettes[{cassettes}]"
        elif stripped.startswith("["):
            current = stripped.strip("[] ")
        else:
            if key and current == table and re.match(rf'^"?{re.escape(key)}"?\s*=', stripped):
                return number
            continue
        if (table, key) == ("policy", "reserve") and current == "policy.reserve":
            return number
        if current == table and header is None:
            header = number
    # A field that is not written (missing) is reported at its table's header, if any.
    return header


def _table_and_key(where: str) -> tuple[str, str | None]:
    parts = where.split(".")
    if parts[0] == "cassettes" and len(parts) > 1 and parts[1].isdigit():
        return f"cassettes[{parts[1]}]", parts[2] if len(parts) > 2 else None
    if parts[0] == "policy" and len(parts) > 1:
        return "policy", parts[1]
    return "", parts[0]


def _flat(data: Mapping[str, Any]) -> dict[str, Any]:
    flat: dict[str, Any] = {}
    for key, value in data.items():
        if key == "cassettes":
            flat["cassettes (order)"] = [c["id"] for c in value]
            for cassette in value:
                for field, item in cassette.items():
                    if field != "id":
                        flat[f"cassettes.{cassette['id']}.{field}"] = item
        elif key == "policy":
            flat.update({f"policy.{k}": v for k, v in value.items()})
        else:
            flat[key] = value
    return flat


def _printed(face: Decimal) -> int | str:
    # An integral face value stays a TOML integer; 0.50 must be a string (never a float).
    return int(face) if face == face.to_integral_value() else str(face)


def _value(value: Any) -> str:
    """Return `value` in TOML syntax (JSON's string escapes are valid TOML)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, list):
        return "[" + ", ".join(_value(v) for v in value) + "]"
    if isinstance(value, Mapping):
        return "{" + ", ".join(f"{_value(str(k))} = {_value(v)}" for k, v in value.items()) + "}"
    raise TypeError(f"cannot write {value!r} as TOML")
