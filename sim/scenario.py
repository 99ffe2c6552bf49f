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
    preference = { kind = "counts", counts = { "500" = 5, "200" = 5 } }  # notes by face value
    repeat = 3                # optional, default 1

Every amount and note is a face value as printed, as in the terminal files; sim/scenarios/README.md
describes the format. Validation lists every problem at once; `load_scenario` adds each one's line.
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from denomination.cassettes import Cassette
from denomination.catalogue import Currency, default_catalogue
from denomination.errors import CashmixError, InvalidAmount, InvalidRequest, UnknownCurrency
from denomination.money import minor_units
from denomination.preferences import Preference
from kiosk_service.formatting import format_money
from sim.faults import FaultPlan
from sim.toml_lines import key_lines, line_of

#: The widest exponent a catalogue allows: face values of an unknown currency are read with it,
#: so their syntax is still checked.
UNKNOWN_EXPONENT = 4
#: Seconds a customer has to take the notes unless the scenario says otherwise.
DEFAULT_TAKE_TIMEOUT = 30.0

_TOP = {"name", "description", "currency", "device", "cassettes", "withdrawals"}
_DEVICE = {"seed", "faults", "max_notes", "take_timeout", "take_after"}
_CASSETTE = {"id", "denomination", "count", "capacity", "low_threshold", "true_count"}
_WITHDRAWAL = {"amount", "preference", "repeat"}


class ScenarioError(CashmixError):
    """A scenario file that cannot be run; `errors` lists every problem, keyed by place, and
    `lines` gives a place's line in `path` where the file says it."""

    code = "invalid_scenario"

    def __init__(self, message: str, errors: dict[str, list[str]], *, path: str | None = None,
                 lines: Mapping[str, int] | None = None):
        super().__init__(message, errors=errors)
        self.errors, self.path, self.lines = errors, path, dict(lines or {})

    def located(self) -> list[tuple[int | None, str, str]]:
        """Return (line or None, place, problem) for every problem, in file order."""
        found = [(self.lines.get(place), place, problem)
                 for place, problems in self.errors.items() for problem in problems]
        return sorted(found, key=lambda row: (row[0] is None, row[0] or 0))


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
    """Read and validate a scenario file; raises ScenarioError listing every problem with its
    line (a file that cannot be read or is not TOML is one problem, said in the message)."""
    try:
        text = Path(path).read_text(encoding="utf-8")
        data = tomllib.loads(text)
    except OSError as error:
        raise ScenarioError(f"Cannot read {path}: {error.strerror or error}.", {},
                            path=str(path)) from error
    except (UnicodeDecodeError, tomllib.TOMLDecodeError) as error:
        raise ScenarioError(f"{path} is not a TOML file: {error}.", {}, path=str(path)) from error
    try:
        return parse_scenario(data, default_name=Path(path).stem)
    except ScenarioError as error:
        lines = key_lines(text)
        located = {place: line_of(lines, place.removeprefix("scenario.")) for place in error.errors}
        raise ScenarioError(_summary(str(path), error.errors), error.errors, path=str(path),
                            lines={p: n for p, n in located.items() if n is not None}) from None


def parse_scenario(data: Mapping[str, Any], *, default_name: str = "scenario") -> Scenario:
    """Validate parsed TOML into a Scenario; raises ScenarioError listing every problem."""
    problems: dict[str, list[str]] = {}
    _unknown(data, _TOP, "scenario", problems)
    currency = data.get("currency", "CZK")
    known: Currency | None = None
    try:
        known = default_catalogue().currency(currency)
    except UnknownCurrency as error:
        problems.setdefault("currency", []).append(error.message)
    device = _table(data.get("device", {}), "device", problems)
    _unknown(device, _DEVICE, "device", problems)
    cassettes, true_counts = _cassettes(data.get("cassettes"), known, problems)
    faults = _faults(device.get("faults", []), _declared_ids(data.get("cassettes")), problems)
    withdrawals = _withdrawals(data.get("withdrawals"), known, problems)
    settings = {
        "seed": _number(device, "seed", 0, problems, integer=True),
        "max_notes": _number(device, "max_notes", 40, problems, integer=True, minimum=1),
        "take_timeout": float(_number(device, "take_timeout", DEFAULT_TAKE_TIMEOUT, problems)),
        "take_after": float(_number(device, "take_after", 2.0, problems)),
    }
    if problems:
        raise ScenarioError(_summary("The scenario", problems), problems)
    return Scenario(str(data.get("name", default_name)), currency, cassettes, true_counts,
                    withdrawals, faults=tuple(faults), description=str(data.get("description", "")),
                    **settings)


def _summary(what: str, problems: dict[str, list[str]]) -> str:
    count = sum(len(found) for found in problems.values())
    return f"{what} has {count} problem{'s' if count > 1 else ''}; nothing was run."


def _declared_ids(raw: Any) -> list[str]:
    """Every cassette id the file declares, valid cassette or not (faults may name it)."""
    entries = raw if isinstance(raw, list) else []
    return [e["id"] for e in entries if isinstance(e, Mapping) and isinstance(e.get("id"), str)]


def _faults(raw: Any, cassette_ids: list[str], problems: dict[str, list[str]]) -> list[str]:
    """Check each fault's syntax and that the cassette it names exists."""
    faults = [raw] if isinstance(raw, str) else raw
    if not isinstance(faults, list) or not all(isinstance(f, str) for f in faults):
        problems.setdefault("device.faults", []).append("must be a list of fault strings")
        return []
    for entry in faults:
        try:
            plan = FaultPlan.parse(entry)
        except ValueError as error:
            problems.setdefault("device.faults", []).append(str(error))
            continue
        for fault in plan.faults:
            if fault.cassette is not None and fault.cassette not in cassette_ids:
                problems.setdefault("device.faults", []).append(
                    f"{entry} names cassette {fault.cassette}, which this scenario does not "
                    f"have; its cassettes are {', '.join(cassette_ids) or 'none'}")
    return faults


def _cassettes(raw: Any, currency: Currency | None,
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
        elif cassette_id in _declared_ids(raw[:index]):
            problems.setdefault(f"{where}.id", []).append(f"{cassette_id} is used twice")
        denomination = _note(entry.get("denomination"), currency, f"{where}.denomination",
                             problems)
        if "count" not in entry:
            problems.setdefault(f"{where}.count", []).append("required")
        count = _number(entry, "count", None, problems, integer=True, where=where)
        capacity = _number(entry, "capacity", None, problems, integer=True, where=where)
        low = _number(entry, "low_threshold", 0, problems, integer=True, where=where)
        true_count = _number(entry, "true_count", None, problems, integer=True, where=where)
        for key, notes in (("count", count), ("true_count", true_count)):
            if notes is not None and capacity is not None and notes > capacity:
                problems.setdefault(f"{where}.{key}", []).append(
                    f"{notes} notes do not fit: the capacity is {capacity}")
        if isinstance(cassette_id, str) and currency and denomination and count is not None:
            cassettes.append(Cassette(cassette_id, currency.code, denomination, count,
                                      capacity=capacity, low_threshold=low))
            if true_count is not None:
                true_counts[cassette_id] = true_count
    return tuple(cassettes), true_counts


def _withdrawals(raw: Any, currency: Currency | None,
                 problems: dict[str, list[str]]) -> tuple[Withdrawal, ...]:
    if not isinstance(raw, list) or not raw:
        problems.setdefault("withdrawals", []).append("need at least one [[withdrawals]] table")
        return ()
    withdrawals = []
    for index, entry in enumerate(raw):
        where = f"withdrawals[{index}]"
        entry = _table(entry, where, problems)
        _unknown(entry, _WITHDRAWAL, where, problems)
        amount = _money(entry.get("amount"), currency, f"{where}.amount", problems)
        preference = _preference(entry.get("preference"), currency, f"{where}.preference",
                                 problems)
        repeat = _number(entry, "repeat", 1, problems, integer=True, minimum=1, where=where)
        if amount:
            withdrawals.extend([Withdrawal(amount, preference)] * (repeat or 1))
    return tuple(withdrawals)


def _preference(raw: Any, currency: Currency | None, where: str,
                problems: dict[str, list[str]]) -> dict[str, Any] | None:
    """Check a wish as plan_mix will; return it with notes in minor units, as plan_mix takes
    them (the file names notes by face value: `counts = { "200" = 10 }`, `exclude = [2000]`)."""
    if raw is None:
        return None
    if not isinstance(raw, Mapping):
        problems.setdefault(where, []).append("must be a table with a kind")
        return None
    converted = dict(raw)
    for key in ("counts", "min", "max"):
        if isinstance(raw.get(key), Mapping) and currency:
            notes = {face: _note(face, currency, f"{where}.{key}", problems) for face in raw[key]}
            converted[key] = {note: raw[key][face] for face, note in notes.items() if note}
    if isinstance(raw.get("exclude"), list) and currency:
        notes = (_note(face, currency, f"{where}.exclude", problems) for face in raw["exclude"])
        converted["exclude"] = [note for note in notes if note]
    try:
        Preference.from_mapping(converted)
    except InvalidRequest as error:
        for place, found in error.errors.items():
            target = f"{where}{place.removeprefix('preference')}"
            problems.setdefault(target, []).extend(found)
        return None
    return converted


def _note(raw: Any, currency: Currency | None, where: str,
          problems: dict[str, list[str]]) -> int | None:
    """A note's face value as printed -> minor units, when the currency has such a note."""
    value = _money(raw, currency, where, problems)
    if value is None or currency is None or value in currency.notes:
        return value
    faces = [currency.face(note) for note in currency.notes]
    problem = (f"there is no {format_money(value, currency)} note; {currency.code} notes are "
               f"{', '.join(faces[:-1])} and {faces[-1]} (face values, as printed)")
    if str(raw).isdigit() and int(raw) in currency.notes:
        problem += f"; {raw} looks like minor units: write {currency.face(int(raw))}"
    problems.setdefault(where, []).append(problem)
    return None


def _money(raw: Any, currency: Currency | None, where: str,
           problems: dict[str, list[str]]) -> int | None:
    if raw is None:
        problems.setdefault(where, []).append("required")
        return None
    try:                                         # unknown currency: still check the syntax
        value = minor_units(raw, currency.exponent if currency else UNKNOWN_EXPONENT)
    except InvalidAmount as error:
        problems.setdefault(where, []).append(error.message)
        return None
    if currency is None:                         # the currency's own problem says the rest
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
