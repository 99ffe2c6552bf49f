"""plan_mix on chosen cases: each wish, the hard rules, explanations and bad input."""

from __future__ import annotations

import pytest
from mix_reference import DEMO, czk, is_valid

from denomination import (
    Cassette,
    CassetteStatus,
    InvalidRequest,
    NotDispensable,
    Preference,
    PreferenceKind,
    UnknownCurrency,
    plan_mix,
)


def test_issue_example_counts_met_exactly():
    plan = plan_mix(200000, "CZK", DEMO, {"kind": "counts",
                                          "counts": {50000: 3, 20000: 2, 10000: 1}}, max_notes=40)
    assert plan.by_cassette == {"A": 1, "B": 2, "C": 3}
    assert plan.by_denomination == {50000: 3, 20000: 2, 10000: 1}
    assert plan.exact and plan.reasons == ()


def test_none_means_fewest_and_json_style_keys_are_accepted():
    assert plan_mix(700000, "CZK", DEMO, None).by_denomination == {500000: 1, 200000: 1}
    plan = plan_mix(30000, "CZK", DEMO, {"kind": "counts", "counts": {"10000": 3}})
    assert plan.by_denomination == {10000: 3} and plan.exact


@pytest.mark.parametrize(("amount", "kind", "expected"), [
    (200000, "small", {20000: 10}),
    (50000, "small", {10000: 5}),
    (500000, "small", {50000: 10}),
    (200000, "mixed", {100000: 1, 50000: 1, 20000: 2, 10000: 1}),
    (30000, "mixed", {20000: 1, 10000: 1}),
    (200000, "fewest", {200000: 1}),
])
def test_documented_semantics_of_small_mixed_and_fewest(amount, kind, expected):
    plan = plan_mix(amount, "CZK", DEMO, {"kind": kind})
    assert dict(plan.by_denomination) == expected
    assert plan.exact


def test_small_respects_a_customer_note_budget():
    plan = plan_mix(200000, "CZK", DEMO, {"kind": "small", "max_notes": 20})
    assert plan.by_denomination == {10000: 20}


def test_greedy_dead_end_still_finds_a_mix():
    cassettes = [czk("A", 200, 10), czk("B", 500, 10)]
    plan = plan_mix(60000, "CZK", cassettes)  # 500 first leaves 100, which no note pays
    assert plan.by_denomination == {20000: 3}


def test_only_ok_cassettes_of_the_currency_give_notes():
    cassettes = [czk("A", 100, 50), czk("B", 500, 0),
                 czk("C", 500, 50, status=CassetteStatus.INOPERATIVE),
                 czk("D", 500, 50, locked=True),
                 Cassette("E", "EUR", 5000, 50),
                 czk("F", 200, 50, status=CassetteStatus.MISSING)]
    plan = plan_mix(50000, "CZK", cassettes)
    assert plan.by_cassette == {"A": 5}


def test_the_note_limit_binds():
    cassettes = [czk("A", 100, 100), czk("B", 1000, 3)]
    assert plan_mix(500000, "CZK", cassettes, max_notes=23).by_denomination == {100000: 3,
                                                                                   10000: 20}
    with pytest.raises(NotDispensable) as caught:
        plan_mix(500000, "CZK", cassettes, max_notes=22)
    assert "too_many_notes" in {r.code for r in caught.value.reasons}


def test_fuller_cassette_of_a_denomination_gives_first():
    cassettes = [czk("A", 500, 20, capacity=100), czk("B", 500, 90, capacity=100)]
    assert plan_mix(150000, "CZK", cassettes).by_cassette == {"B": 3}


def test_inventory_health_avoids_a_running_low_denomination():
    plenty = [czk("A", 100, 500, capacity=500), czk("B", 200, 500, capacity=500),
              czk("C", 500, 20, capacity=500, low_threshold=25)]
    # "no 2000s" style wish with ties: 1000 CZK as 2 x 500 or 5 x 200; bounds ignore note count,
    # so inventory health decides and spares the low 500 cassette.
    plan = plan_mix(100000, "CZK", plenty, {"kind": "bounds", "max": {"10000": 0}})
    assert plan.by_denomination == {20000: 5}


@pytest.mark.parametrize(("amount", "cassettes", "codes"), [
    (15050, DEMO, {"amount_not_multiple"}),
    (30000, [czk("A", 500, 10)], {"denomination_not_loaded"}),
    (900000, [czk("A", 1000, 5)], {"insufficient_funds"}),
    (50000, [czk("A", 500, 3, status=CassetteStatus.INOPERATIVE), czk("B", 1000, 4)],
     {"cassette_inoperative"}),
    (80000, [czk("A", 500, 1), czk("B", 200, 1), czk("C", 1000, 5)], {"insufficient_notes"}),
    (50000, [Cassette("E", "EUR", 5000, 50)], {"no_notes"}),
])
def test_not_dispensable_names_the_blocking_rule(amount, cassettes, codes):
    with pytest.raises(NotDispensable) as caught:
        plan_mix(amount, "CZK", cassettes)
    assert caught.value.code == "not_dispensable"
    assert codes <= {reason.code for reason in caught.value.reasons}


def test_not_dispensable_gives_the_nearest_payable_amounts():
    with pytest.raises(NotDispensable) as caught:
        plan_mix(70000, "CZK", [czk("A", 500, 10), czk("B", 1000, 10)])
    assert caught.value.nearest == (50000, 100000)


def test_counts_not_met_says_why_and_gets_closest():
    cassettes = [czk("A", 100, 2), czk("B", 200, 20), czk("C", 500, 20)]
    plan = plan_mix(100000, "CZK", cassettes, {"kind": "counts", "counts": {10000: 10}})
    assert not plan.exact
    assert {"insufficient_notes"} <= {r.code for r in plan.reasons}
    # 2 x 100 + 4 x 200 and 2 x 500 both deviate by 12 notes; health spares the low 100s.
    deviation = abs(plan.by_denomination.get(10000, 0) - 10) + sum(
        n for d, n in plan.by_denomination.items() if d != 10000)
    assert deviation == 12 and plan.by_denomination == {50000: 2}


def test_counts_that_do_not_add_up_are_explained():
    plan = plan_mix(100000, "CZK", DEMO, {"kind": "counts", "counts": {50000: 1}})
    assert not plan.exact
    assert "counts_do_not_add_up" in {r.code for r in plan.reasons}
    assert plan.by_denomination == {50000: 2}  # one note off the wish, the least possible


def test_bounds_met_and_violations_named():
    plan = plan_mix(200000, "CZK", DEMO, {"kind": "bounds", "exclude": [200000],
                                          "min": {"10000": 2}})
    assert plan.exact and 200000 not in plan.by_denomination and plan.by_denomination[10000] >= 2
    only_big = [czk("E", 2000, 5)]
    plan = plan_mix(200000, "CZK", only_big, {"kind": "bounds", "exclude": [200000]})
    assert not plan.exact
    assert {r.code for r in plan.reasons} == {"excluded_used"}


def test_options_are_distinct_labelled_and_valid():
    plan = plan_mix(200000, "CZK", DEMO, {"kind": "options"})
    assert 3 <= len(plan.options) <= 5
    labels = [option.label for option in plan.options]
    assert labels[:3] == ["fewest", "mixed", "small"] and len(set(labels)) == len(labels)
    mixes = [tuple(option.by_denomination.items()) for option in plan.options]
    assert len(set(mixes)) == len(mixes)
    assert all(is_valid(option, 200000, DEMO, 40) for option in plan.options)
    assert plan.by_denomination == plan.options[0].by_denomination


@pytest.mark.parametrize("amount", [30000, 50000, 170000, 200000, 350000, 1000000])
def test_each_option_is_the_plan_of_its_own_wish(amount):
    own = {"fewest": {"kind": "fewest"}, "mixed": {"kind": "mixed"}, "small": {"kind": "small"},
           "smallest": {"kind": "small", "max_notes": 40}}
    plan = plan_mix(amount, "CZK", DEMO, {"kind": "options"})
    for option in plan.options:
        if option.label.startswith("no_"):
            wish = {"kind": "bounds", "exclude": [int(option.label[3:])]}
        else:
            wish = own[option.label]
        alone = plan_mix(amount, "CZK", DEMO, wish)
        assert option.by_cassette == alone.by_cassette and option.exact and alone.exact


def test_options_offer_smallest_only_when_it_differs_from_small():
    labels = [o.label for o in plan_mix(50000, "CZK", DEMO, {"kind": "options"}).options]
    assert "smallest" not in labels  # 5 x 100 is already the small mix
    plan = plan_mix(350000, "CZK", DEMO, {"kind": "options"})
    assert [o.label for o in plan.options] == ["fewest", "mixed", "small", "no_200000",
                                               "smallest"]
    assert plan.options[-1].by_denomination == {10000: 35}


def test_preference_object_accepted():
    wish = Preference(PreferenceKind.BOUNDS, exclude=(500000, 200000))
    assert plan_mix(500000, "CZK", DEMO, wish).by_denomination == {100000: 5}


def test_bad_input_lists_every_problem():
    bad = [czk("A", 100, -1), czk("A", 300, 5), Cassette("X", "XXX", 100, 1),
           czk("B", 100, 5, capacity=2)]
    with pytest.raises(InvalidRequest) as caught:
        plan_mix(0, "CZK", bad, {"kind": "counts", "counts": {"70000": 1}}, max_notes=0)
    errors = caught.value.errors
    assert caught.value.code == "invalid_request"
    assert {"amount", "max_notes", "cassettes[0]", "cassettes[1]", "cassettes[2]",
            "cassettes[3]", "preference"} <= set(errors)


@pytest.mark.parametrize("preference", [
    {"kind": "cheapest"},
    {"kind": "counts"},
    {"kind": "counts", "counts": {"abc": 1, "10000": -1}},
    {"kind": "bounds", "min": {"10000": 3}, "max": {"10000": 1}},
    {"kind": "fewest", "counts": {"10000": 1}},
    {"kind": "small", "max_notes": 0},
    {"kind": "bounds", "exclude": "10000"},
    "fewest",
])
def test_malformed_preferences_are_invalid_requests(preference):
    with pytest.raises(InvalidRequest) as caught:
        plan_mix(10000, "CZK", DEMO, preference)
    assert caught.value.code == "invalid_request"


@pytest.mark.parametrize("kind", [k for k in PreferenceKind if k != PreferenceKind.COUNTS])
def test_a_kind_alone_is_that_kind_with_its_defaults(kind):
    assert Preference.from_mapping({"kind": str(kind)}) == Preference(kind)
    assert Preference.from_mapping({"kind": str(kind)}).note_budget == 15


@pytest.mark.parametrize("amount", [-100, 0, 10.5, "100", True, None])
def test_bad_amounts(amount):
    with pytest.raises(InvalidRequest) as caught:
        plan_mix(amount, "CZK", DEMO)
    assert "amount" in caught.value.errors


def test_unknown_currency():
    with pytest.raises(InvalidRequest) as caught:
        plan_mix(10000, "ABC", DEMO)
    assert "currency" in caught.value.errors
    with pytest.raises(UnknownCurrency) as caught:
        from denomination import default_catalogue
        default_catalogue().currency("ABC")
    assert caught.value.code == "unknown_currency"


def test_health_can_be_switched_off_for_studies():
    cassettes = [czk("A", 500, 20, capacity=100), czk("B", 500, 90, capacity=100)]
    assert plan_mix(150000, "CZK", cassettes, health=False).by_cassette == {"A": 3}
    assert plan_mix(150000, "CZK", cassettes).by_cassette == {"B": 3}
