"""The terminal a traffic study runs on: its cassettes, configured load, note limit and reserve.

Reads the terminal TOML format of config/terminals/ with tomllib and keeps only what the study
needs (kiosk_service owns the full format and its validation); unknown keys are ignored.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, replace
from pathlib import Path

from denomination import Cassette, CassetteStatus, InvalidRequest, default_catalogue
from denomination.errors import InvalidAmount
from denomination.policy import DispensingPolicy


@dataclass(frozen=True, slots=True)
class Terminal:
    """A terminal as configured: `cassettes` hold the configured load (what a visit restores).

    `reserve` maps a denomination (minor units) to notes held back from wishes that do not ask
    for it, from the file's `[policy] reserve` table (empty when it has none).
    """

    id: str
    name: str
    currency: str
    note_limit: int
    cassettes: tuple[Cassette, ...]
    reserve: tuple[tuple[int, int], ...] = ()

    @property
    def denominations(self) -> tuple[int, ...]:
        """Return the distinct denominations loaded, ascending (minor units)."""
        return tuple(sorted({c.denomination for c in self.cassettes}))

    @property
    def loaded_value(self) -> int:
        """Return the value of the configured load, in minor units."""
        return sum(c.denomination * c.count for c in self.cassettes)

    def with_load(self, counts: dict[str, int],
                  thresholds: dict[str, int] | None = None) -> Terminal:
        """Return the terminal with another configured load (cassette id -> notes) and, when
        given, other low thresholds (cassette id -> notes)."""
        thresholds = thresholds or {}
        return replace(self, cassettes=tuple(
            replace(c, count=counts.get(c.id, c.count),
                    low_threshold=thresholds.get(c.id, c.low_threshold))
            for c in self.cassettes))


def read_terminal(path: str | Path) -> Terminal:
    """Read a terminal TOML file; raises InvalidRequest (`invalid_request`) naming each problem."""
    with open(path, "rb") as file:
        data = tomllib.load(file)
    return terminal_from_mapping(data)


def terminal_from_mapping(data: dict) -> Terminal:
    """Build a Terminal from the TOML form; raises InvalidRequest listing every problem.

    The same rules as the service's reader for what the study uses: notes of the currency
    (Currency.note_of), the note limit required, the `[policy]` table read by
    DispensingPolicy.from_mapping, `locked` kept.
    """
    problems: dict[str, list[str]] = {}
    code = data.get("currency")
    currency = default_catalogue().currencies.get(code)
    if currency is None:
        problems.setdefault("currency", []).append(f"unknown currency {code!r}")
        raise InvalidRequest("the terminal is invalid", problems)
    cassettes = []
    for index, raw in enumerate(data.get("cassettes", [])):
        where = f"cassettes[{index}]"
        try:
            cassettes.append(Cassette(
                id=str(raw["id"]), currency=currency.code,
                denomination=currency.note_of(raw["denomination"]),
                count=int(raw["count"]), status=CassetteStatus(raw.get("status", "ok")),
                capacity=raw.get("capacity"), low_threshold=int(raw.get("low_threshold", 0)),
                locked=bool(raw.get("locked", False))))
        except InvalidAmount as error:
            problems.setdefault(f"{where}.denomination", []).append(error.message)
        except KeyError as error:
            problems.setdefault(where, []).append(f"{error.args[0]} is required")
        except (ValueError, TypeError) as error:
            problems.setdefault(where, []).append(str(error))
    if not data.get("cassettes"):
        problems.setdefault("cassettes", []).append("at least one cassette is needed")
    reserve: tuple[tuple[int, int], ...] = ()
    try:
        reserve = DispensingPolicy.from_mapping(data.get("policy") or {}, currency).reserve
    except InvalidRequest as error:
        for key, messages in error.errors.items():
            problems.setdefault(f"policy.{key}", []).extend(messages)
    note_limit = data.get("note_limit")
    if type(note_limit) is not int or note_limit < 1:
        problems.setdefault("note_limit", []).append("required: a positive whole number")
    if problems:
        raise InvalidRequest("the terminal is invalid", problems)
    return Terminal(str(data.get("id", "terminal")), str(data.get("name", "")), currency.code,
                    note_limit, tuple(cassettes), reserve)
