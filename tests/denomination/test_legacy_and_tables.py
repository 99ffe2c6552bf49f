"""Baselines (bank-optimal, equal emptying) and the dispensable-amounts table on chosen cases."""

from __future__ import annotations

from mix_reference import DEMO, czk

from denomination import bank_optimal, dispensable_amounts, equal_emptying


def test_bank_optimal_takes_largest_notes_and_backtracks():
    assert bank_optimal(200000, "CZK", DEMO).by_denomination == {200000: 1}
    cassettes = [czk("A", 200, 10), czk("B", 500, 10)]
    assert bank_optimal(80000, "CZK", cassettes).by_denomination == {20000: 4}


def test_bank_optimal_is_judged_against_the_wish():
    small = bank_optimal(200000, "CZK", DEMO, {"kind": "small"})
    assert not small.exact and small.reasons[0].code == "larger_notes_than_needed"
    mixed = bank_optimal(200000, "CZK", DEMO, {"kind": "mixed"})
    assert not mixed.exact and mixed.reasons[0].code == "mix_limited"
    fewest = bank_optimal(200000, "CZK", DEMO)
    assert fewest.exact


def test_bank_optimal_drains_the_fullest_cassette_of_a_denomination_first():
    cassettes = [czk("A", 1000, 5), czk("B", 1000, 9)]
    assert bank_optimal(300000, "CZK", cassettes).by_cassette == {"B": 3}


def test_equal_emptying_draws_evenly():
    cassettes = [czk("A", 500, 100), czk("B", 1000, 100)]
    plan = equal_emptying(300000, "CZK", cassettes)
    assert plan.by_denomination == {100000: 2, 50000: 2}


def test_dispensable_table_for_the_demo_terminal():
    table = dispensable_amounts("CZK", DEMO, max_notes=40, ceiling=100 * 500000)
    assert table.is_payable(10000) and not table.is_payable(15000)
    assert table.largest == 40 * 500000
    assert table.amounts[0] == 10000 and table.amounts[-1] == table.largest
    assert table.nearest(15000) == (10000, 20000)


def test_dispensable_table_empty_inventory():
    table = dispensable_amounts("CZK", [czk("A", 100, 0)], max_notes=40)
    assert table.amounts == () and table.largest is None and not table.is_payable(10000)


def test_reserve_is_held_back_from_fewest_and_released_to_small():
    from denomination import Preference, plan_mix
    from denomination.reserve import apply_reserve

    cassettes = [czk("A", 100, 30), czk("B", 500, 1), czk("C", 1000, 10)]
    reserve = {10000: 25}
    fewest = Preference.from_mapping({"kind": "fewest"})
    seen = apply_reserve(cassettes, reserve, fewest)
    assert [c.count for c in seen] == [5, 1, 10]
    assert plan_mix(70000, "CZK", seen, fewest).by_denomination == {50000: 1, 10000: 2}
    small = Preference.from_mapping({"kind": "small"})
    assert [c.count for c in apply_reserve(cassettes, reserve, small)] == [30, 1, 10]
    counts = Preference.from_mapping({"kind": "counts", "counts": {"10000": 7}})
    assert apply_reserve(cassettes, reserve, counts)[0].count == 30
