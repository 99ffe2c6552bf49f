"""Step 1 of the optimiser: check the request and gather the data the model needs."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from math import gcd
from operator import attrgetter

from denomination.cassettes import Cassette, CassetteStatus
from denomination.catalogue import Catalogue, Currency
from denomination.errors import InvalidRequest, UnknownCurrency
from denomination.preferences import Preference

#: Health cost of one note from the fullest cassette; one at 1/k of that level costs k times as
#: much, capped at HEALTH_CAP (a tenth of the fullest level, or at the low threshold).
HEALTH_UNIT = 10
HEALTH_CAP = 100

_BY_ID = attrgetter("id")
#: An enum member looked up on its class costs about ten attribute loads: once per request here.
_OK = CassetteStatus.OK


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
    plain = plain_request(amount, currency_code, cassettes, preference, max_notes, catalogue)
    if plain is None:
        currency = _check(amount, currency_code, cassettes, preference, max_notes, catalogue)
        of_currency = sorted((c for c in cassettes if c.currency == currency.code), key=_BY_ID)
        usable = [c for c in of_currency if c.dispensable]
        step = 0
        for cassette in usable:
            step = gcd(step, cassette.denomination)
        plain = currency, of_currency, usable, step or 1
    return mix_data(plain, amount, preference, max_notes, health)


#: What plain_request finds: the currency, its cassettes and the usable ones among them (each
#: by id), and the gcd of the usable cassettes' notes (1 when there are none).
PlainRequest = tuple[Currency, list[Cassette], list[Cassette], int]


def plain_request(amount: object, currency_code: object, cassettes: Sequence[Cassette],
                  preference: Preference, max_notes: object,
                  catalogue: Catalogue) -> PlainRequest | None:
    """Return what check_request gathers from a plainly valid request (see PlainRequest), or
    None: then check_request's full check names each problem, or finds none in a request of
    unusual types (a status given as a string, say).

    Plainly valid: every value is of its builtin type (int, str, bool, CassetteStatus) and in
    range, so that this one pass, the common case, compares nothing else and raises nothing.
    """
    if type(amount) is not int or amount <= 0 or type(max_notes) is not int or max_notes < 1 \
            or type(currency_code) is not str:
        return None
    currency = catalogue.currencies.get(currency_code)
    if currency is None or (preference.counts or preference.minimum or preference.maximum
                            or preference.exclude) \
            and not preference.denominations <= set(currency.notes):
        return None
    found = _plain_cassettes(cassettes, catalogue.currencies, currency.code)
    return None if found is None else (currency, *found)


def _plain_cassettes(cassettes: Sequence[Cassette], currencies: Mapping[str, Currency],
                     code: str) -> tuple[list[Cassette], list[Cassette], int] | None:
    """Return the cassettes of currency `code`, the usable ones among them (each by id) and the
    gcd of the usable ones' notes (1 without any), when every cassette is plainly valid; else
    None."""
    notes = currencies[code].notes
    of_currency, usable = [], []
    step = 0
    last = ""
    in_order = True   # ids strictly ascending: sorted already, and no id repeats
    # Plain loops: this runs on every request, and generators cost more than they read better.
    for cassette in cassettes:
        if type(cassette) is not Cassette:
            return None
        cid, currency, denomination, count, capacity = (
            cassette.id, cassette.currency, cassette.denomination, cassette.count,
            cassette.capacity)
        if type(cid) is not str or type(currency) is not str or type(denomination) is not int \
                or type(count) is not int or count < 0 or capacity is not None and (
                    type(capacity) is not int or count > capacity):
            return None
        if cid <= last:
            in_order = False
        last = cid
        if currency == code:
            status, locked = cassette.status, cassette.locked
            if denomination not in notes or type(status) is not CassetteStatus \
                    or type(locked) is not bool:
                return None
            of_currency.append(cassette)
            # Cassette.dispensable, on values whose types are known
            if status is _OK and not locked and count:
                usable.append(cassette)
                step = gcd(step, denomination)
        elif currency not in currencies or denomination not in currencies[currency].notes:
            return None
    if not in_order:
        if len({cassette.id for cassette in cassettes}) < len(cassettes):
            return None
        of_currency.sort(key=_BY_ID)
        usable.sort(key=_BY_ID)
    return of_currency, usable, step or 1


def mix_data(plain: PlainRequest, amount: int, preference: Preference, max_notes: int,
             health: bool) -> MixData:
    """Return the model data of a checked request (`health`: as check_request's)."""
    currency, of_currency, usable, step = plain
    costs = (health_costs if health else flat_costs)(usable)
    by_id = {}
    for cassette, cost in zip(usable, costs, strict=True):
        by_id[cassette.id] = cost
    return MixData(amount, currency, preference, max_notes, tuple(usable), tuple(of_currency),
                   step, by_id)


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


def health_costs(usable: Sequence[Cassette]) -> list[int]:
    """Return the cost per note of drawing on each usable cassette, in their order: the emptier
    it is, the dearer its notes.

    A cassette's level is its count over its capacity (or, without one, over the fullest
    cassette of the currency). The fullest cassette's notes cost HEALTH_UNIT; a cassette at
    1/k of that level costs k times as much, up to HEALTH_CAP, which a cassette at or below its
    low threshold always costs. Levels are relative, so a terminal loaded well below capacity
    still tells its plentiful cassettes from its scarce ones.
    """
    # Levels as fractions count / size, compared and divided in integers (exact, and several
    # times faster than Fraction on the per-request path).
    reference = 1   # the fullest cassette's count (a usable cassette holds a note at least)
    top_count, top_size = 0, 1   # the highest level of a cassette with a capacity
    uncapped = 0    # the most notes in a cassette without one (its level is over reference)
    for cassette in usable:
        count, capacity = cassette.count, cassette.capacity
        if count > reference:
            reference = count
        if not capacity:
            if count > uncapped:
                uncapped = count
        elif count * top_size > top_count * capacity:
            top_count, top_size = count, capacity
    if uncapped * top_size > top_count * reference:
        top_count, top_size = uncapped, reference
    scaled = HEALTH_UNIT * top_count
    costs = []
    for cassette in usable:
        count = cassette.count
        if count <= cassette.low_threshold:
            costs.append(HEALTH_CAP)
        else:
            # ceil(HEALTH_UNIT * top level / this level)
            ratio = -(-scaled * (cassette.capacity or reference) // (top_size * count))
            costs.append(ratio if ratio < HEALTH_CAP else HEALTH_CAP)
    return costs


def flat_costs(usable: Sequence[Cassette]) -> list[int]:
    """Return HEALTH_UNIT for each cassette: the costs when inventory health plays no part."""
    return [HEALTH_UNIT] * len(usable)


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _summary(problems: dict[str, list[str]]) -> str:
    return "; ".join(f"{field}: {', '.join(found)}" for field, found in problems.items())
