"""The fewest-notes fast path against the full one: plan_mix's plain shortcut (data.plain_request,
fewest.fewest_mix, Plan.optimal) answers every request, valid or not, as check_request then
search_fewest do, and its parts (the one-pass check, the one-cassette-a-note levels) equal the
general code they stand in for."""

from __future__ import annotations

from dataclasses import FrozenInstanceError, fields
from math import gcd

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from mix_reference import CZK_NOTES, terminals

from denomination import (
    CashmixError,
    Cassette,
    CassetteStatus,
    Preference,
    default_catalogue,
    plan_mix,
)
from denomination.optimiser import planner
from denomination.optimiser.data import _BY_ID, _check, check_request, plain_request
from denomination.optimiser.fewest import (
    WORK_LIMIT,
    _ascending_shape,
    _givers,
    _Levels,
    _OneEach,
    _priced_mix,
    fewest_mix,
    objective_weights,
    search_fewest,
)
from denomination.plan import Plan, SolveStatus

FEWEST = Preference()

odd_numbers = st.sampled_from([-1, True, 2.0, "3", None])


@st.composite
def odd_cassettes(draw):
    """CZK cassettes in any order, mostly valid, now and then with a bad count or capacity, a
    foreign or unknown currency, a note that is not one, a repeated id, a status given as a
    string, a locked or out-of-service cassette, an empty one, or something not a Cassette."""
    cassettes = []
    ids = draw(st.permutations("ABCDEFG"))
    for index in range(draw(st.integers(0, 6))):
        if draw(st.integers(0, 59)) == 0:
            cassettes.append("not a cassette")
            continue
        odd = draw(st.integers(0, 19)) == 0   # at most one odd field, a twentieth of the time
        field = draw(st.sampled_from(["count", "capacity", "currency", "note", "status"]))
        count = draw(st.integers(0, 60))
        capacity = draw(st.sampled_from([None, 60, 200]))
        currency = draw(st.sampled_from(["CZK"] * 8 + ["EUR"]))
        note = draw(st.sampled_from(CZK_NOTES[:4] * 2 + CZK_NOTES if currency == "CZK"
                                    else (5000, 10000)))
        status = draw(st.sampled_from([CassetteStatus.OK] * 6 + list(CassetteStatus)))
        if odd and field == "count":
            count = draw(odd_numbers)
        elif odd and field == "capacity":
            capacity = draw(st.sampled_from([-1, 2.0, True, 0]))
        elif odd and field == "currency":
            currency = draw(st.sampled_from(["XXX", None]))
        elif odd and field == "note":
            note = draw(st.sampled_from([12345, 100000.0, True]))
        elif odd and field == "status":
            status = str(status)   # equal to the member, but not a CassetteStatus
        repeat = index and draw(st.integers(0, 29)) == 0   # the id before it, again
        cassettes.append(Cassette(
            ids[index - 1 if repeat else index], currency, note, count, status=status,
            capacity=capacity, low_threshold=draw(st.sampled_from([0, 5, 30])),
            locked=draw(st.integers(0, 9)) == 0))
    return cassettes


def outcome(call, *args, **kwargs):
    """A plan with its fields in order, or the error's type, code, message and details."""
    try:
        plan = call(*args, **kwargs)
    except (CashmixError, TypeError) as error:
        return type(error), getattr(error, "code", None), str(error), getattr(
            error, "details", None)
    return plan, list(plan.by_cassette.items()), list(plan.by_denomination.items())


def data_path(amount, currency, cassettes, max_notes, health):
    """The fewest plan by way of the model data: check_request, then search_fewest."""
    data = check_request(amount, currency, cassettes, FEWEST, max_notes, default_catalogue(),
                         health=health)
    return planner._fewest(data, search_fewest(data), None)


def mostly(common, odd):
    """`common` nine times in ten, else `odd`."""
    return st.integers(0, 9).flatmap(lambda roll: odd if roll == 0 else common)


@settings(max_examples=600, deadline=None)
@given(cassettes=odd_cassettes(),
       amount=mostly(st.integers(1, 80).map(lambda k: k * 10000),
                     st.one_of(st.integers(1, 10**6), odd_numbers)),
       currency=mostly(st.just("CZK"), st.sampled_from(["EUR", "XXX"])),
       max_notes=mostly(st.sampled_from([5, 12, 40]), st.one_of(st.just(1), odd_numbers)),
       health=st.booleans())
def test_the_fast_path_answers_every_request_as_the_data_path(cassettes, amount, currency,
                                                              max_notes, health):
    assert outcome(plan_mix, amount, currency, cassettes, {"kind": "fewest"},
                   max_notes=max_notes, health=health) == outcome(
        data_path, amount, currency, cassettes, max_notes, health)


@settings(max_examples=300, deadline=None)
@given(cassettes=terminals(), order=st.randoms(use_true_random=False),
       amount=st.integers(1, 300).map(lambda k: k * 10000),
       max_notes=st.sampled_from([5, 12, 40]))
def test_a_fast_plan_is_the_one_cp_sat_proves(cassettes, order, amount, max_notes):
    order.shuffle(cassettes)
    fast = outcome(plan_mix, amount, "CZK", cassettes, {"kind": "fewest"}, max_notes=max_notes)
    solved = outcome(plan_mix, amount, "CZK", cassettes, {"kind": "fewest"},
                     max_notes=max_notes, exact_search=False)
    if isinstance(fast[0], Plan) and isinstance(solved[0], Plan):
        data = check_request(amount, "CZK", cassettes, FEWEST, max_notes, default_catalogue())
        if solved[0].status == SolveStatus.OPTIMAL and search_fewest(data) is not None:
            assert fast == solved   # a unique optimum, found by both
    else:
        assert fast[:2] == solved[:2]


@settings(max_examples=500, deadline=None)
@given(cassettes=odd_cassettes(), order=st.randoms(use_true_random=False))
def test_the_one_pass_check_gathers_what_the_full_check_gathers(cassettes, order):
    order.shuffle(cassettes)
    catalogue = default_catalogue()
    plain = plain_request(200000, "CZK", cassettes, FEWEST, 40, catalogue)
    if plain is None:
        return
    _check(200000, "CZK", tuple(cassettes), FEWEST, 40, catalogue)   # finds no problem
    currency, of_currency, usable, step = plain
    expected = sorted((c for c in cassettes if c.currency == "CZK"), key=_BY_ID)
    assert currency.code == "CZK" and of_currency == expected
    assert usable == [c for c in expected if c.dispensable]
    assert step == (gcd(*(c.denomination for c in usable)) or 1)


#: Notes of made-up currencies in which the fewest notes are often not unique (6 = 3 + 3 = 4 + 1
#: + 1 is not, but 8 = 4 + 4 = 7 + 1 is), beside the canonical CZK ones.
ODD_NOTES = (10000, 30000, 40000, 70000, 100000, 150000)


@st.composite
def ascending_cassettes(draw):
    """Usable cassettes whose notes strictly ascend with their ids, of any stock."""
    notes = sorted(draw(st.sets(st.sampled_from(draw(st.sampled_from([CZK_NOTES, ODD_NOTES]))),
                                min_size=1)))
    return [Cassette(cid, "CZK", note, draw(st.integers(1, 12)),
                     capacity=draw(st.sampled_from([None, 12, 200])))
            for cid, note in zip("ABCDEF", notes, strict=False)]


def priced_inputs(usable, amount, limit, health):
    step = gcd(*(c.denomination for c in usable))
    weights = objective_weights(len(usable), limit)
    shape = _ascending_shape(amount, usable, step, limit)
    return step, weights.wish + weights.notes, weights.health, shape, health[:len(usable)]


healths = st.lists(st.integers(10, 100), min_size=6, max_size=6)


@settings(max_examples=500, deadline=None)
@given(usable=ascending_cassettes(), amount=st.integers(1, 60).map(lambda k: k * 10000),
       limit=st.sampled_from([1, 3, 5, 40]), health=healths,
       work=st.sampled_from([1, 4, 10, 30, WORK_LIMIT]))
def test_the_search_by_note_count_answers_as_the_priced_search(usable, amount, limit, health,
                                                               work):
    step, per_note, health_weight, shape, health = priced_inputs(usable, amount, limit, health)
    assume(amount % step == 0)   # else no mix, answered before any search
    priced = _priced_mix(amount, usable, step, limit, shape, per_note, health_weight, health,
                         work)
    found = fewest_mix(amount, usable, step, limit, lambda _: health, work=work)
    if shape[0] and shape[0][-1] * step == amount:   # one note: answered before any search
        assert found == ({usable[len(shape[0]) - 1].id: 1}, {amount: 1})
        return
    assert found == priced
    if found is not None and found[0] is not None:
        assert [list(part) for part in found] == [list(part) for part in priced]


@settings(max_examples=300, deadline=None)
@given(usable=ascending_cassettes(), amount=st.integers(1, 300).map(lambda k: k * 10000),
       limit=st.sampled_from([1, 5, 40]), health=healths)
def test_one_cassette_a_note_levels_are_the_general_levels(usable, amount, limit, health):
    step, per_note, health_weight, shape, health = priced_inputs(usable, amount, limit, health)
    units, mosts = shape
    fitting = [c for c in usable if c.denomination <= amount]
    assert units == [c.denomination // step for c in fitting]
    assert mosts == [min(c.count, amount // c.denomination, limit) for c in fitting]
    prices = [per_note + rank + health_weight * cost for rank, cost in enumerate(health)]
    levels = _OneEach(units, mosts, prices)
    general = _Levels(_givers(usable, health, per_note, health_weight, amount, limit), amount,
                      limit, step)
    for name in ("units", "mosts", "reach", "divisor", "cheapest"):
        assert getattr(levels, name) == getattr(general, name)
    assert [list(costs) for costs in levels.costs] == [list(costs) for costs in general.costs]
    counts, tied = levels.best_mix(amount // step, limit, per_note)
    assert (counts, tied) == general.best_mix(amount // step, limit, per_note)
    if counts is not None:
        mix = levels.mix(counts, usable, step)
        assert [list(part) for part in mix] == [list(part) for part in general.mix(
            counts, usable, step)]


@given(amount=st.integers(1, 10**6), by_cassette=st.dictionaries(st.text(max_size=2),
                                                                  st.integers(1, 9)))
def test_an_optimal_plan_is_the_plan_of_its_fields(amount, by_cassette):
    by_denomination = {10000: sum(by_cassette.values())}
    built = Plan.optimal(amount, "CZK", "fewest", by_cassette, by_denomination, FEWEST)
    plan = Plan(amount, "CZK", "fewest", by_cassette, by_denomination, preference=FEWEST)
    assert built == plan and type(built) is Plan
    for field in fields(Plan):
        assert getattr(built, field.name) is getattr(plan, field.name)


def test_a_plan_is_frozen_however_built():
    plan = Plan.optimal(10000, "CZK", "fewest", {"A": 1}, {10000: 1}, FEWEST)
    with pytest.raises(FrozenInstanceError):
        plan.exact = False
