"""The fewest-notes shortcut (fewest.py) against the general search, CP-SAT and brute force."""

from __future__ import annotations

from fractions import Fraction
from math import ceil

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from mix_reference import all_mixes, amounts, small_inventories, terminals

from denomination import (
    Cassette,
    Catalogue,
    NotDispensable,
    Preference,
    default_catalogue,
    plan_mix,
)
from denomination.dispensable import dispensable_amounts
from denomination.optimiser import planner
from denomination.optimiser.data import (
    HEALTH_CAP,
    HEALTH_UNIT,
    MixData,
    check_request,
    health_costs,
)
from denomination.optimiser.fewest import NO_MIX, OutOfWork, least_notes, search_fewest
from denomination.optimiser.planner import _interpret
from denomination.optimiser.search import search
from denomination.plan import SolveStatus

FEWEST = Preference()


def request(amount, cassettes, max_notes, health=True, catalogue=None) -> MixData:
    return check_request(amount, "CZK" if catalogue is None else "XTS", cassettes, FEWEST,
                         max_notes, catalogue or default_catalogue(), health=health)


def general_plan(data: MixData):
    """The plan of the path the shortcut stands in for: search.py's optimum, interpreted."""
    if data.amount % data.step or not data.usable:
        return None
    found = search(data)
    assume(found is not None)   # out of budget: CP-SAT answers (compared below)
    return None if found.counts is None else _interpret(data, found.counts, optimal=True)


def fewest_or_code(amount, cassettes, max_notes, health, exact_search=True):
    try:
        return plan_mix(amount, "CZK", cassettes, {"kind": "fewest"}, max_notes=max_notes,
                        health=health, exact_search=exact_search)
    except NotDispensable as error:
        return error.code


@settings(max_examples=300, deadline=None)
@given(cassettes=terminals(), amount=st.integers(1, 300).map(lambda k: k * 10000),
       max_notes=st.sampled_from([5, 12, 40]), health=st.booleans())
def test_fewest_plans_are_the_general_searchs_plans(cassettes, amount, max_notes, health):
    data = request(amount, cassettes, max_notes, health)
    expected = general_plan(data)
    plan = fewest_or_code(amount, cassettes, max_notes, health)
    if expected is None:
        assert plan == "not_dispensable"
        assert search_fewest(data) in (None, NO_MIX)
        return
    assert plan == expected   # every field: mix, exact, reasons, status, preference
    assert list(plan.by_cassette.items()) == list(expected.by_cassette.items())
    assert list(plan.by_denomination.items()) == list(expected.by_denomination.items())
    solved = fewest_or_code(amount, cassettes, max_notes, health, exact_search=False)
    if solved.status == SolveStatus.OPTIMAL and search_fewest(data) is not None:
        # The shortcut answers only unique optima, which CP-SAT finds too.
        assert solved.by_cassette == plan.by_cassette


def fewest_key(data: MixData, mix: dict[str, int]) -> tuple[int, int, int]:
    """The full model's ranking of a fewest-notes mix: notes, inventory health, tie-break."""
    return (sum(mix.values()), sum(data.health[c.id] * mix[c.id] for c in data.usable),
            sum(rank * mix[c.id] for rank, c in enumerate(data.usable)))


@settings(max_examples=300, deadline=None)
@given(inventory=small_inventories(), amount=amounts, health=st.booleans())
def test_the_shortcut_proves_the_unique_best_mix_or_leaves_ties(inventory, amount, health):
    data = request(amount, inventory, 6, health)
    found = search_fewest(data)
    mixes = sorted(all_mixes(amount, inventory, 6), key=lambda mix: fewest_key(data, mix))
    if not mixes:
        assert found == NO_MIX
        return
    tied = len(mixes) > 1 and fewest_key(data, mixes[0]) == fewest_key(data, mixes[1])
    if tied:
        assert found is None
        return
    assert found is not None
    assert found[0] == {cid: n for cid, n in mixes[0].items() if n}


def test_a_tie_is_left_to_the_general_search():
    # 50 = 10 + 40 = 20 + 30: two notes each, and with health off the same tie-break rank sum.
    catalogue = Catalogue.from_mapping({"XTS": {"exponent": 0, "notes": [10, 20, 30, 40]}})
    cassettes = [Cassette(cid, "XTS", note, 5) for cid, note in zip("ABCD", [10, 20, 30, 40],
                                                                      strict=True)]
    data = request(50, cassettes, 40, health=False, catalogue=catalogue)
    assert search_fewest(data) is None
    plan = plan_mix(50, "XTS", cassettes, {"kind": "fewest"}, catalogue=catalogue,
                    health=False)
    assert plan == _interpret(data, search(data).counts, optimal=True)
    assert plan.notes == 2


stocks = st.dictionaries(st.sampled_from([10000, 20000, 50000, 100000, 200000]),
                         st.integers(0, 8), max_size=5)


@settings(max_examples=300, deadline=None)
@given(stock=stocks, amount=amounts, max_notes=st.sampled_from([3, 6, 40]),
       first=st.booleans())
def test_least_notes_agrees_with_the_dispensable_table(stock, amount, max_notes, first):
    cassettes = [Cassette(f"c{d}", "CZK", d, n) for d, n in stock.items()]
    table = dispensable_amounts("CZK", cassettes, max_notes)
    notes = least_notes(amount, stock, max_notes, first=first)
    assert (notes is not None) == table.is_payable(amount)
    if notes is not None and not first:
        assert notes == table.notes_for(amount)
    if notes is not None and first:
        assert table.notes_for(amount) <= notes <= max_notes


def test_least_notes_gives_up_past_its_work():
    with pytest.raises(OutOfWork):
        least_notes(870000, {10000: 400, 20000: 400, 50000: 400}, None, work=5)


def data_path_or_code(amount, cassettes, max_notes, health):
    """The fewest plan by way of the model data (check_request, then search_fewest): the path
    plan_mix's plain fast path stands in for."""
    data = request(amount, cassettes, max_notes, health)
    try:
        return planner._fewest(data, search_fewest(data), None)
    except NotDispensable as error:
        return error.code


@settings(max_examples=300, deadline=None)
@given(cassettes=terminals(), order=st.randoms(use_true_random=False),
       extra=st.lists(st.sampled_from(["locked", "euro", "empty"]), max_size=2),
       amount=st.integers(1, 300).map(lambda k: k * 10000),
       max_notes=st.sampled_from([5, 12, 40]), health=st.booleans())
def test_the_plain_fast_path_plans_what_the_data_path_plans(cassettes, order, extra, amount,
                                                            max_notes, health):
    # Ids out of order, and cassettes the fast path must leave out of the search.
    others = {"locked": Cassette("X", "CZK", 100000, 30, capacity=60, locked=True),
              "euro": Cassette("Y", "EUR", 5000, 30),
              "empty": Cassette("Z", "CZK", 20000, 0, capacity=60)}
    cassettes = [*cassettes, *(others[name] for name in dict.fromkeys(extra))]
    order.shuffle(cassettes)
    plan = fewest_or_code(amount, cassettes, max_notes, health)
    expected = data_path_or_code(amount, cassettes, max_notes, health)
    assert plan == expected
    if not isinstance(plan, str):
        assert list(plan.by_cassette.items()) == list(expected.by_cassette.items())
        assert list(plan.by_denomination.items()) == list(expected.by_denomination.items())


def health_reference(usable) -> list[int]:
    """data.health_costs as its docstring defines it, in fractions."""
    reference = max([1, *(c.count for c in usable)])
    levels = [Fraction(c.count, c.capacity or reference) for c in usable]
    top = max(levels, default=Fraction(0))
    return [HEALTH_CAP if c.count <= c.low_threshold else min(HEALTH_CAP, ceil(
        HEALTH_UNIT * top / level)) for c, level in zip(usable, levels, strict=True)]


@settings(max_examples=500, deadline=None)
@given(cassettes=terminals())
def test_health_costs_follow_their_definition(cassettes):
    usable = [c for c in cassettes if c.dispensable]
    assert health_costs(usable) == health_reference(usable)
