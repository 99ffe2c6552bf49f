"""Scenario files for `kiosk-sim`: cassettes, faults and withdrawals, in TOML, validated.

    name = "A jam"
    currency = "CZK"

    [device]                  # all optional
    seed = 7
    faults = ["jam:B:3"]      # sim/faults.py syntax, one fault per string
    max_notes = 40            # per-dispense note limit
    take_timeout = 30         # seconds the customer has to take the notes
    take_after = 2            # seconds a customer needs (unless a no_take fault says never)

    [[cassettes]]
    id = "A"
    denomination = 2000       # face value as printed; converted to minor units
    count = 100               # what staff declare
    capacity = 2000           # optional
    low_threshold = 10        # optional
    true_count = 95           # optional: notes really in it (a count mismatch)

    [[withdrawals]]
    amount = 3500             # face value
    preference = { kind = "small" }   # optional, default fewest
    repeat = 3                # optional, default 1
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from denomination.cassettes import Cassette
from denomination.catalogue import default_catalogue
from denomination.errors import CashmixError, InvalidAmount, UnknownCurrency
from denomination.money import minor_units
from sim.faults import FaultPlan

#: Seconds a customer has to take the notes unless the scenario says otherwise.
DEFAULT_TAKE_TIMEOUT = 30.0

_TOP = {"name", "description", "currency", "device", "cassettes", "withdrawals"}
_DEVICE = {"seed", "faults", "max_notes", "take_timeout", "take_after"}
_CASSETTE = {"id", "denomination", "count", "capacity", "low_threshold", "true_count"}
_WITHDRAWAL = {"amount", "preference", "repeat"}


class ScenarioError(CashmixError):
    """A scenario file that cannot be run; `errors` lists every problem, keyed by place."""

    code = "invalid_scenario"

    def __init__(self, message: str, errors: dict[str, list[str]]):
        super().__init__(message, errors=errors)
        self.errors = errors


@dataclass(frozen=True, slots=True)
class Withdrawal:
    """One customer: `amount` in minor units and the preference dict for plan_mix."""

    amount: int
    preference: Mapping[str, Any] | None = None


@dataclass(frozen=True, slots=True)
class Scenario:
    """A validated scenario; amounts and denominations are in minor units."""

    name: str
    currency: str
    cassettes: tuple[Cassette, ...]
    true_counts: Mapping[str, int]
    withdrawals: tuple[Withdrawal, ...]
    seed: int = 0
    faults: tuple[str, ...] = ()
    max_notes: int = 40
    take_timeout: float = DEFAULT_TAKE_TIMEOUT
    take_after: float = 2.0
    description: str = ""

    def url(self, *, pace: float = 1.0) -> str:
        """Return the `sim://` URL of this scenario's device."""
        query = {"seed": self.seed, "max_notes": self.max_notes, "pace": pace,
                 "take_after": self.take_after}
        if self.faults:
            query["faults"] = ",".join(self.faults)
        return "sim://?" + urlencode(query, safe=":,")


def load_scenario(path: str | Path) -> Scenario:
    """Read and validate a scenario file; raises ScenarioError listing every problem."""
    try:
        with open(path, "rb") as file:
            data = tomllib.load(file)
    except (OSError, tomllib.TOMLDecodeError) as error:
        raise ScenarioError(f"cannot read {path}: {error}", {"file": [str(error)]}) from error
    return parse_scenario(data, default_name=Path(path).stem)


def parse_scenario(data: Mapping[str, Any], *, default_name: str = "scenario") -> Scenario:
    """Validate parsed TOML into a Scenario; raises ScenarioError listing every problem."""
    problems: dict[str, list[str]] = {}
    _unknown(data, _TOP, "scenario", problems)
    currency = data.get("currency", "CZK")
    exponent = 0
    try:
        exponent = default_catalogue().currency(currency).exponent
    except UnknownCurrency as error:
        problems.setdefault("currency", []).append(error.message)
    device = _table(data.get("device", {}), "device", problems)
    _unknown(device, _DEVICE, "device", problems)
    faults = device.get("faults", [])
    faults = [faults] if isinstance(faults, str) else faults
    if not isinstance(faults, list) or not all(isinstance(f, str) for f in faults):
        problems.setdefault("device.faults", []).append("must be a list of fault strings")
        faults = []
    try:
        FaultPlan.parse(",".join(faults))
    except ValueError as error:
        problems.setdefault("device.faults", []).append(str(error))
    cassettes, true_counts = _cassettes(data.get("cassettes"), currency, exponent, problems)
    withdrawals = _withdrawals(data.get("withdrawals"), exponent, problems)
    settings = {
        "seed": _number(device, "seed", 0, problems, integer=True),
        "max_notes": _number(device, "max_notes", 40, problems, integer=True, minimum=1),
        "take_timeout": float(_number(device, "take_timeout", DEFAULT_TAKE_TIMEOUT, problems)),
        "take_after": float(_number(device, "take_after", 2.0, problems)),
    }
    if problems:
        raise ScenarioError("the scenario is invalid", problems)
    return Scenario(str(data.get("name", default_name)), currency, cassettes, true_counts,
                    withdrawals, faults=tuple(faults), description=str(data.get("description", "")),
                    **settings)


def _cassettes(raw: Any, currency: str, exponent: int,
               problems: dict[str, list[str]]) -> tuple[tuple[Cassette, ...], dict[str, int]]:
    if not isinstance(raw, list) or not raw:
        problems.setdefault("cassettes", []).append("need at least one [[cassettes]] table")
        return (), {}
    cassettes, true_counts = [], {}
    for index, entry in enumerate(raw):
        where = f"cassettes[{index}]"
        entry = _table(entry, where, problems)
        _unknown(entry, _CASSETTE, where, problems)
        cassette_id = entry.get("id")
        if not isinstance(cassette_id, str) or not cassette_id:
            problems.setdefault(f"{where}.id", []).append("required, a non-empty string")
        if cassette_id in {c.id for c in cassettes}:
            problems.setdefault(f"{where}.id", []).append(f"{cassette_id!r} is used twice")
        denomination = _money(entry.get("denomination"), exponent, f"{where}.denomination",
                              problems)
        count = _number(entry, "count", None, problems, integer=True, where=where)
        capacity = _number(entry, "capacity", None, problems, integer=True, where=where)
        low = _number(entry, "low_threshold", 0, problems, integer=True, where=where)
        true_count = _number(entry, "true_count", None, problems, integer=True, where=where)
        if count is None:
            problems.setdefault(f"{where}.count", []).append("required")
        elif capacity is not None and count > capacity:
            problems.setdefault(f"{where}.count", []).append(f"over the capacity {capacity}")
        if isinstance(cassette_id, str) and denomination and count is not None:
            cassettes.append(Cassette(cassette_id, currency, denomination, count,
                                      capacity=capacity, low_threshold=low))
            if true_count is not None:
                true_counts[cassette_id] = true_count
    return tuple(cassettes), true_counts


def _withdrawals(raw: Any, exponent: int,
                 problems: dict[str, list[str]]) -> tuple[Withdrawal, ...]:
    if not isinstance(raw, list) or not raw:
        problems.setdefault("withdrawals", []).append("need at least one [[withdrawals]] table")
        return ()
    withdrawals = []
    for index, entry in enumerate(raw):
        where = f"withdrawals[{index}]"
        entry = _table(entry, where, problems)
        _unknown(entry, _WITHDRAWAL, where, problems)
        amount = _money(entry.get("amount"), exponent, f"{where}.amount", problems)
        preference = entry.get("preference")
        if preference is not None and not isinstance(preference, Mapping):
            problems.setdefault(f"{where}.preference", []).append("must be a table with a kind")
            preference = None
        repeat = _number(entry, "repeat", 1, problems, integer=True, minimum=1, where=where)
        if amount:
            withdrawals.extend([Withdrawal(amount, preference)] * (repeat or 1))
    return tuple(withdrawals)


def _money(raw: Any, exponent: int, where: str, problems: dict[str, list[str]]) -> int | None:
    if raw is None:
        problems.setdefault(where, []).append("required")
        return None
    try:
        value = minor_units(raw, exponent)
    except InvalidAmount as error:
        problems.setdefault(where, []).append(error.message)
        return None
    if value <= 0:
        problems.setdefault(where, []).append("must be positive")
        return None
    return value


def _number(table: Mapping[str, Any], key: str, default: Any, problems: dict[str, list[str]],
            *, integer: bool = False, minimum: float = 0, where: str = "device") -> Any:
    value = table.get(key, default)
    if value is None or value is default:
        return value
    kinds = (int,) if integer else (int, float)
    if isinstance(value, bool) or not isinstance(value, kinds) or value < minimum:
        kind = "a whole number" if integer else "a number"
        problems.setdefault(f"{where}.{key}", []).append(f"must be {kind} >= {minimum}")
        return default
    return value


def _table(raw: Any, where: str, problems: dict[str, list[str]]) -> Mapping[str, Any]:
    if isinstance(raw, Mapping):
        return raw
    problems.setdefault(where, []).append("must be a table")
    return {}


def _unknown(table: Mapping[str, Any], allowed: set[str], where: str,
             problems: dict[str, list[str]]) -> None:
    for key in sorted(set(table) - allowed):
        problems.setdefault(f"{where}.{key}", []).append(
            f"unknown key; allowed: {', '.join(sorted(allowed))}")
