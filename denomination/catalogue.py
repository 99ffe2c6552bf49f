"""The currency catalogue: which notes each currency has, in minor units."""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from denomination.errors import CatalogueError, InvalidAmount, UnknownCurrency
from denomination.money import face_value, format_amount, minor_units

DEFAULT_CATALOGUE = Path(__file__).resolve().parent.parent / "config" / "currencies.toml"


@dataclass(frozen=True, slots=True)
class Currency:
    """An ISO 4217 currency and the notes cash dispensers pay out, ascending, in minor units."""

    code: str
    name: str
    exponent: int
    notes: tuple[int, ...]

    def format(self, value: int) -> str:
        """Return `value` minor units as 'CZK 2,000' (see money.format_amount)."""
        return format_amount(value, self.code, self.exponent)

    def round_to_major(self, value: int) -> int:
        """Return `value` minor units rounded half up to whole major units (still minor units):
        11336650 CZK minor units -> 11336700."""
        unit = 10 ** self.exponent
        return (value + unit // 2) // unit * unit

    def face(self, value: int) -> str:
        """Return `value` minor units as printed on a note: 200000 -> '2000', 50 -> '0.5'."""
        return str(face_value(value, self.exponent))

    def note_of(self, face: int | str) -> int:
        """Return the minor units of the note printed `face` ("2000" -> 200000); raises
        InvalidAmount (`invalid_amount`) when it is not a face value or not one of this
        currency's notes, naming them."""
        try:
            value = minor_units(face, self.exponent)
        except (ArithmeticError, ValueError):
            raise InvalidAmount(f"{face!r} is not a face value such as 2000") from None
        if value not in self.notes:
            printed = ", ".join(self.face(n) for n in self.notes)
            raise InvalidAmount(f"{face} is not a {self.code} note (the notes are {printed})")
        return value


@dataclass(frozen=True, slots=True)
class Catalogue:
    """All known currencies, by ISO code."""

    currencies: Mapping[str, Currency]

    def currency(self, code: str) -> Currency:
        """Return the currency `code`; raises UnknownCurrency (`unknown_currency`)."""
        try:
            return self.currencies[code]
        except (KeyError, TypeError):
            known = ", ".join(sorted(self.currencies))
            raise UnknownCurrency(f"unknown currency {code!r}; known: {known}") from None

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any]) -> Catalogue:
        """Build a catalogue from parsed TOML; raises CatalogueError listing every problem."""
        problems: dict[str, list[str]] = {}
        currencies = {}
        for code, entry in data.items():
            found = problems.setdefault(code, [])
            if not (isinstance(code, str) and len(code) == 3 and code.isalpha() and code.isupper()):
                found.append("currency code must be three capital letters (ISO 4217)")
            if not isinstance(entry, Mapping):
                found.append("must be a table with name, exponent and notes")
                continue
            unknown = set(entry) - {"name", "exponent", "notes"}
            if unknown:
                found.append(f"unknown keys: {', '.join(sorted(unknown))}")
            exponent = entry.get("exponent")
            if type(exponent) is not int or not 0 <= exponent <= 4:
                found.append("exponent must be an integer from 0 to 4")
                exponent = None
            notes = entry.get("notes")
            if not isinstance(notes, list) or not notes:
                found.append("notes must be a non-empty list of face values")
                notes = []
            converted = []
            for note in notes:
                if exponent is None:
                    break
                try:
                    units = minor_units(note, exponent)
                except InvalidAmount as error:
                    found.append(f"note {note!r}: {error.message}")
                    continue
                if units <= 0:
                    found.append(f"note {note!r} must be positive")
                converted.append(units)
            if len(set(converted)) != len(converted):
                found.append("notes must not repeat")
            if not found:
                currencies[code] = Currency(code, str(entry.get("name", code)), exponent,
                                            tuple(sorted(converted)))
        problems = {code: found for code, found in problems.items() if found}
        if problems:
            raise CatalogueError("the currency catalogue is invalid", errors=problems)
        return cls(currencies)


def load_catalogue(path: str | os.PathLike[str]) -> Catalogue:
    """Load and validate a currency catalogue TOML file; raises CatalogueError."""
    try:
        with open(path, "rb") as file:
            data = tomllib.load(file)
    except (OSError, tomllib.TOMLDecodeError) as error:
        raise CatalogueError(f"cannot read {path}: {error}",
                             errors={"file": [str(error)]}) from error
    return Catalogue.from_mapping(data)


@lru_cache(maxsize=1)
def default_catalogue() -> Catalogue:
    """Return the shipped catalogue (config/currencies.toml or $CASHMIX_CURRENCIES), loaded once."""
    return load_catalogue(os.environ.get("CASHMIX_CURRENCIES", DEFAULT_CATALOGUE))
