"""Hypothesis properties: plan_mix against an exhaustive reference on small inventories."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from mix_reference import NOTES, all_mixes, amounts, by_denomination, is_valid, small_inventories

from denomination import (
    Cassette,
    NotDispensable,
    bank_optimal,
    dispensable_amounts,
    equal_emptying,
    plan_mix,
)

MAX_NOTES = 6
EXAMPLES = settings(max_examples=120, deadline=None)


wanted = st.dictionaries(st.sampled_from(NOTES), st.integers(0, 4), max_size=3)


def reference(amount, inventory):
    return list(all_mixes(amount, inventory, MAX_NOTES))


def plan_or_none(amount, inventory, preference):
    try:
        return plan_mix(amount, "CZK", inventory, preference, max_notes=MAX_NOTES)
    except NotDispensable as error:
        assert error.code == "not_dispensable" and error.reasons
        return None


@EXAMPLES
@given(inventory=small_inventories(), amount=amounts)
def test_fewest_is_valid_and_no_mix_has_fewer_notes(inventory, amount):
    mixes = reference(amount, inventory)
    plan = plan_or_none(amount, inventory, {"kind": "fewest"})
    if not mixes:
        assert plan is None
        return
    assert is_valid(plan, amount, inventory, MAX_NOTES)
    assert plan.notes == min(sum(mix.values()) for mix in mixes)


@EXAMPLES
@given(inventory=small_inventories(), amount=amounts, counts=wanted)
def test_counts_deviation_is_minimal(inventory, amount, counts):
    mixes = reference(amount, inventory)
    plan = plan_or_none(amount, inventory, {"kind": "counts", "counts": counts})
    if not mixes:
        assert plan is None
        return

    def deviation(given_counts):
        keys = set(given_counts) | set(counts)
        return sum(abs(given_counts.get(d, 0) - counts.get(d, 0)) for d in keys)

    assert is_valid(plan, amount, inventory, MAX_NOTES)
    best = min(deviation(by_denomination(mix, inventory)) for mix in mixes)
    assert deviation(dict(plan.by_denomination)) == best
    assert plan.exact == (best == 0 and {d: n for d, n in counts.items() if n}
                          == dict(plan.by_denomination))


@EXAMPLES
@given(inventory=small_inventories(), amount=amounts,
       low=st.dictionaries(st.sampled_from(NOTES), st.integers(0, 3), max_size=2),
       exclude=st.lists(st.sampled_from(NOTES), max_size=2, unique=True))
def test_bounds_violation_is_minimal(inventory, amount, low, exclude):
    low = {d: n for d, n in low.items() if d not in exclude}
    mixes = reference(amount, inventory)
    plan = plan_or_none(amount, inventory, {"kind": "bounds", "min": low, "exclude": exclude})
    if not mixes:
        assert plan is None
        return

    def violation(given_counts):
        short = sum(max(0, n - given_counts.get(d, 0)) for d, n in low.items())
        return short + sum(given_counts.get(d, 0) for d in exclude)

    assert is_valid(plan, amount, inventory, MAX_NOTES)
    best = min(violation(by_denomination(mix, inventory)) for mix in mixes)
    assert violation(dict(plan.by_denomination)) == best
    assert plan.exact == (best == 0)


@EXAMPLES
@given(inventory=small_inventories(), amount=amounts,
       kind=st.sampled_from(["small", "mixed", "options"]))
def test_every_kind_gives_a_valid_plan_exactly_when_a_mix_exists(inventory, amount, kind):
    mixes = reference(amount, inventory)
    plan = plan_or_none(amount, inventory, {"kind": kind})
    assert (plan is None) == (not mixes)
    if plan is not None:
        assert is_valid(plan, amount, inventory, MAX_NOTES)
        for option in plan.options:
            assert is_valid(option, amount, inventory, MAX_NOTES)


@EXAMPLES
@given(inventory=small_inventories(), amount=amounts)
def test_baselines_find_a_mix_exactly_when_one_exists(inventory, amount):
    exists = bool(reference(amount, inventory))
    for policy in (bank_optimal, equal_emptying):
        try:
            plan = policy(amount, "CZK", inventory, max_notes=MAX_NOTES)
        except NotDispensable:
            plan = None
        assert (plan is not None) == exists
        if plan is not None:
            assert is_valid(plan, amount, inventory, MAX_NOTES)


@EXAMPLES
@given(inventory=small_inventories())
def test_dispensable_table_matches_the_reference(inventory):
    table = dispensable_amounts("CZK", inventory, max_notes=MAX_NOTES, ceiling=300000)
    for amount in range(10000, 300001, 10000):
        mixes = reference(amount, inventory)
        assert table.is_payable(amount) == bool(mixes)
        if mixes:
            assert table.notes_for(amount) == min(sum(mix.values()) for mix in mixes)
    assert table.amounts == tuple(a for a in range(10000, 300001, 10000) if reference(a, inventory))


@pytest.mark.parametrize("amount", [10000, 250000, 990000])
def test_nearest_amounts_are_payable_neighbours(amount):
    inventory = [Cassette("A", "CZK", 50000, 3), Cassette("B", "CZK", 200000, 2)]
    table = dispensable_amounts("CZK", inventory, max_notes=MAX_NOTES)
    below, above = table.nearest(amount)
    payable = [a for a in range(10000, 600001, 10000) if reference(a, inventory)]
    assert below == max((a for a in payable if a < amount), default=None)
    assert above == min((a for a in payable if a > amount), default=None)
