"""Step 1 of the optimiser: check the request and gather the data the model needs."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from math import gcd
from operator import attrgetter

from denomination.cassettes import Cassette
from denomination.catalogue import Catalogue, Currency
from denomination.errors import InvalidRequest, UnknownCurrency
from denomination.preferences import Preference

#: Health cost of one note from the fullest cassette; one at 1/k of that level costs k times as
#: much, capped at HEALTH_CAP (a tenth of the fullest level, or at the low threshold).
HEALTH_UNIT = 10
HEALTH_CAP = 100

_BY_ID = attrgetter("id")


@dataclass(frozen=True, slots=True)
class MixShape:
    """What the structure of a mix's model depends on (hashable, so models can be reused).

    Requests of one shape differ only in the stock bounds and inventory-health costs of the
    cassettes, which model.build_model fills in for each request.
    """

    amount: int
    max_notes: int
    step: int
    cassettes: tuple[tuple[str, int], ...]   # (id, denomination) of each usable cassette, by id
    preference: Preference


@dataclass(frozen=True, slots=True)
class MixData:
    """Everything the model needs, amounts scaled down by `step` (the gcd of the notes used)."""

    amount: int
    currency: Currency
    preference: Preference
    max_notes: int
    usable: tuple[Cassette, ...]          # dispensable cassettes of the currency, by id
    all_of_currency: tuple[Cassette, ...]
    step: int
    health: dict[str, int]                # cassette id -> health cost per note

    @property
    def shape(self) -> MixShape:
        """Return the part of the data that fixes the model's structure."""
        return MixShape(self.amount, self.max_notes, self.step,
                        tuple((c.id, c.denomination) for c in self.usable), self.preference)

    @property
    def denominations(self) -> tuple[int, ...]:
        """Return the distinct denominations that can be dispensed now, ascending."""
        return tuple(sorted({c.denomination for c in self.usable}))

    def stock(self, denomination: int) -> int:
        """Return how many notes of `denomination` can be dispensed now."""
        return sum(c.count for c in self.usable if c.denomination == denomination)


def check_request(amount: object, currency_code: object, cassettes: Iterable[Cassette],
                  preference: Preference, max_notes: object, catalogue: Catalogue, *,
                  health: bool = True) -> MixData:
    """Validate every input at once and return the model data (`health=False`: every cassette's
    notes cost the same, so inventory health plays no part).

    Raises InvalidRequest (`invalid_request`) listing each problem by field, or UnknownCurrency.
    """
    cassettes = tuple(cassettes)
    currency = catalogue.currencies.get(currency_code) if type(currency_code) is str else None
    of_currency = None
    if (type(amount) is int and amount > 0 and type(max_notes) is int and max_notes >= 1
            and currency is not None
            and (not (preference.counts or preference.minimum or preference.maximum
                      or preference.exclude) or preference.denominations <= set(currency.notes))):
        of_currency = _plain_of_currency(cassettes, catalogue, currency.code)
    if of_currency is None:
        currency = _check(amount, currency_code, cassettes, preference, max_notes, catalogue)
        of_currency = [c for c in cassettes if c.currency == currency.code]
    # Plain loops: this runs on every request, and generators cost more than they read better.
    of_currency.sort(key=_BY_ID)
    usable = []
    step = 0
    for cassette in of_currency:
        if cassette.dispensable:
            usable.append(cassette)
            step = gcd(step, cassette.denomination)
    usable = tuple(usable)
    costs = _health_costs(usable) if health else {c.id: HEALTH_UNIT for c in usable}
    return MixData(amount, currency, preference, max_notes, usable, tuple(of_currency),
                   step or 1, costs)


def _plain_of_currency(cassettes: tuple[Cassette, ...], catalogue: Catalogue,
                       code: str) -> list[Cassette] | None:
    """Return the cassettes of currency `code` when every cassette is plainly valid (the
    common case, checked in one pass), else None: _check then names each problem."""
    currencies = catalogue.currencies
    ids = set()
    of_currency = []
    for cassette in cassettes:
        if type(cassette) is not Cassette:
            return None
        count, capacity, currency = cassette.count, cassette.capacity, cassette.currency
        if type(count) is not int or count < 0 or capacity is not None and (
                type(capacity) is not int or count > capacity):
            return None
        if type(cassette.denomination) is not int:
            return None
        if currency == code:
            if cassette.denomination not in currencies[code].notes:
                return None
            of_currency.append(cassette)
        elif type(currency) is not str or currency not in currencies \
                or cassette.denomination not in currencies[currency].notes:
            return None
        ids.add(cassette.id)
    return of_currency if len(ids) == len(cassettes) else None


def _check(amount: object, currency_code: object, cassettes: tuple[Cassette, ...],
           preference: Preference, max_notes: object, catalogue: Catalogue) -> Currency:
    """Return the request's currency, or raise InvalidRequest listing every problem."""
    problems: dict[str, list[str]] = {}
    if not _is_int(amount) or amount <= 0:
        problems.setdefault("amount", []).append("must be a positive integer in minor units")
    if not _is_int(max_notes) or max_notes < 1:
        problems.setdefault("max_notes", []).append("must be a positive integer")
    currency = None
    try:
        currency = catalogue.currency(currency_code)
    except UnknownCurrency as error:
        problems.setdefault("currency", []).append(error.message)
    _check_cassettes(cassettes, catalogue, problems)
    if currency is not None and not preference.denominations <= set(currency.notes):
        notes = ", ".join(f"{n} ({currency.format(n)})" for n in currency.notes)
        for denomination in sorted(preference.denominations - set(currency.notes)):
            problems.setdefault("preference", []).append(
                f"{denomination} is not a {currency.code} note; in minor units the "
                f"{currency.code} notes are {notes}")
    if problems:
        raise InvalidRequest("the request is invalid: " + _summary(problems), problems)
    return currency


def _check_cassettes(cassettes: tuple[Cassette, ...], catalogue: Catalogue,
                     problems: dict[str, list[str]]) -> None:
    seen: set[str] = set()
    for index, cassette in enumerate(cassettes):
        where = f"cassettes[{index}]"
        if not isinstance(cassette, Cassette):
            problems.setdefault(where, []).append("must be a Cassette")
            continue
        found = []
        if cassette.id in seen:
            found.append(f"duplicate cassette id {cassette.id!r}")
        seen.add(cassette.id)
        if not _is_int(cassette.count) or cassette.count < 0:
            found.append("count must be an integer >= 0")
        if cassette.capacity is not None and (not _is_int(cassette.capacity)
                                              or cassette.capacity < 0):
            found.append("capacity must be an integer >= 0")
        elif _is_int(cassette.count) and cassette.capacity is not None \
                and cassette.count > cassette.capacity:
            found.append(f"count {cassette.count} is above capacity {cassette.capacity}")
        if cassette.currency not in catalogue.currencies:
            found.append(f"unknown currency {cassette.currency!r}")
        elif not _is_int(cassette.denomination):
            # 100000.0 equals a note, and would reach the model's integer arithmetic.
            found.append("denomination must be an integer in minor units")
        elif cassette.denomination not in catalogue.currencies[cassette.currency].notes:
            found.append(f"{cassette.denomination} minor units is not a {cassette.currency} "
                         "note")
        if found:
            problems.setdefault(where, []).extend(found)


def _health_costs(usable: tuple[Cassette, ...]) -> dict[str, int]:
    """Cost per note of drawing on each cassette: the emptier it is, the dearer its notes.

    A cassette's level is its count over its capacity (or, without one, over the fullest
    cassette of the currency). The fullest cassette's notes cost HEALTH_UNIT; a cassette at
    1/k of that level costs k times as much, up to HEALTH_CAP, which a cassette at or below its
    low threshold always costs. Levels are relative, so a terminal loaded well below capacity
    still tells its plentiful cassettes from its scarce ones.
    """
    reference = 1   # a usable cassette holds a note at least
    for cassette in usable:
        if cassette.count > reference:
            reference = cassette.count
    # Levels as fractions count / size, compared and divided in integers (exact, and several
    # times faster than Fraction on the per-request path).
    top_count, top_size = 0, 1
    for cassette in usable:
        count, size = cassette.count, cassette.capacity or reference
        if count * top_size > top_count * size:
            top_count, top_size = count, size
    scaled = HEALTH_UNIT * top_count
    costs = {}
    for cassette in usable:
        count = cassette.count
        if count <= cassette.low_threshold:
            costs[cassette.id] = HEALTH_CAP
        else:
            # ceil(HEALTH_UNIT * top level / this level)
            ratio = -(-scaled * (cassette.capacity or reference) // (top_size * count))
            costs[cassette.id] = ratio if ratio < HEALTH_CAP else HEALTH_CAP
    return costs


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _summary(problems: dict[str, list[str]]) -> str:
    return "; ".join(f"{field}: {', '.join(found)}" for field, found in problems.items())
