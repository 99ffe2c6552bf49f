"""The demand model: reproducible, and its statistics follow the sourced profile."""

from collections import Counter
from datetime import date

import pytest

from denomination import InvalidRequest, PreferenceKind
from sim.traffic.day_level import day_multiplier, easter_sunday, holiday_multiplier
from sim.traffic.demand import generate_demand
from sim.traffic.profile import build_profile, load_tree

DENOMINATIONS = (20000, 50000, 100000, 200000)


def test_same_seed_same_stream_other_seed_other_stream(profile):
    first, _ = generate_demand(profile, DENOMINATIONS, 40, days=3, seed=5)
    again, _ = generate_demand(profile, DENOMINATIONS, 40, days=3, seed=5)
    other, _ = generate_demand(profile, DENOMINATIONS, 40, days=3, seed=6)
    assert first == again
    assert first != other


def test_daily_counts_follow_the_calendar_level():
    plain = build_profile(load_tree(overrides=[
        "volume.noise_sigma=0.0", "volume.outage_probability=0.0", "volume.per_day=400",
        'calendar.holidays="none"', 'calendar.payday="off"']), "CZK")
    stream, days = generate_demand(plain, DENOMINATIONS, 40, days=56, seed=1)
    assert len(stream) == pytest.approx(sum(d.expected for d in days), rel=0.02)
    per_weekday = Counter(w.at.weekday() for w in stream)
    friday_over_tuesday = per_weekday[4] / per_weekday[1]
    assert friday_over_tuesday == pytest.approx(1.518 / 0.757, rel=0.08)


def test_amounts_hours_and_wishes_follow_their_shares(steady_profile):
    stream, _ = generate_demand(steady_profile, DENOMINATIONS, 40, days=40, seed=2)
    n = len(stream)
    amounts = Counter(w.amount for w in stream)
    assert amounts[100000] / n == pytest.approx(0.22, abs=0.015)
    assert amounts[200000] / n == pytest.approx(0.22, abs=0.015)
    noon = sum(w.at.hour == 12 for w in stream) / n
    assert noon == pytest.approx(0.082, abs=0.01)
    wishes = Counter(w.wish for w in stream)
    assert wishes["small"] / n == pytest.approx(0.15, abs=0.015)
    assert wishes["fewest"] / n >= 0.60


def test_own_counts_pay_the_amount_from_loaded_notes_within_the_budget(profile):
    stream, _ = generate_demand(profile, DENOMINATIONS, 40, days=10, seed=3)
    counted = [w for w in stream if w.preference.kind == PreferenceKind.COUNTS]
    assert counted
    for w in counted:
        assert sum(d * n for d, n in w.preference.counts) == w.amount
        assert sum(n for _, n in w.preference.counts) <= profile.counts_max_notes
        assert {d for d, _ in w.preference.counts} <= set(DENOMINATIONS)


@pytest.mark.parametrize(("year", "easter"), [(2026, date(2026, 4, 5)),
                                              (2027, date(2027, 3, 28)),
                                              (2030, date(2030, 4, 21))])
def test_easter(year, easter):
    assert easter_sunday(year) == easter


def test_czech_holidays_replace_the_day_level(profile):
    assert holiday_multiplier(date(2027, 12, 25), profile) == 0.22
    assert holiday_multiplier(date(2027, 12, 23), profile) == 2.48  # last working day before 24th
    assert holiday_multiplier(date(2027, 3, 26), profile) == 0.85    # Good Friday
    assert day_multiplier(date(2027, 10, 28), profile) == 0.89       # a single holiday
    assert holiday_multiplier(date(2027, 3, 10), profile) is None


def test_overrides_reach_every_parameter_and_bad_ones_are_named():
    tree = load_tree(overrides=["volume.per_day=300", "amounts.CZK.probabilities.2000=0",
                                "preferences.shares.counts=0"])
    changed = build_profile(tree, "CZK")
    assert changed.per_day == 300
    assert 200000 not in {a for a, p in changed.amounts if p > 0}
    assert dict(changed.wishes)["counts"] == 0
    with pytest.raises(InvalidRequest) as caught:
        load_tree(overrides=["volume.per_dya=1", "nonsense"])
    assert caught.value.code == "invalid_request"
    assert set(caught.value.details["errors"]) == {"volume.per_dya", "nonsense"}
