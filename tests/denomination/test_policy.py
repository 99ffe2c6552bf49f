"""The dispensing policy: validation, offered kinds, reserves."""

from __future__ import annotations

import pytest
from mix_reference import czk

from denomination import InvalidRequest, Preference, default_catalogue, plan_mix
from denomination.policy import DispensingPolicy, KindNotOffered

CZK = default_catalogue().currency("CZK")


def test_round_trip_through_the_mapping_form():
    data = {"offered": ["options", "fewest", "small"], "default": "fewest",
            "reserve": {"100": 200, "200": 100}, "quote_expiry_seconds": 90,
            "locale": "cs"}
    policy = DispensingPolicy.from_mapping(data, CZK)
    assert policy.reserve == ((10000, 200), (20000, 100))
    assert policy.to_mapping(CZK) == data


def test_every_problem_is_listed():
    with pytest.raises(InvalidRequest) as caught:
        DispensingPolicy.from_mapping({"offered": ["fewest", "cheap"], "default": "small",
                                       "reserve": {"300": 1, "100": -2}, "note_limit": 0,
                                       "quote_expiry_seconds": "60", "locale": "de",
                                       "colour": "red"}, CZK)
    # The note limit is the terminal's: a policy that names one is refused, not reconciled.
    assert set(caught.value.errors) == {"offered", "default", "reserve", "note_limit",
                                        "quote_expiry_seconds", "locale", "colour"}
    assert caught.value.errors["note_limit"] == ["unknown field"]
    assert len(caught.value.errors["reserve"]) == 2


def test_kinds_not_offered_are_refused_and_none_means_the_default():
    policy = DispensingPolicy.from_mapping({"offered": ["small", "fewest"]}, CZK)
    assert policy.admit(None).kind == "small"
    with pytest.raises(KindNotOffered) as caught:
        policy.admit({"kind": "counts", "counts": {"10000": 1}})
    assert caught.value.code == "kind_not_offered"


def test_reserve_spares_small_notes_for_customers_who_ask():
    policy = DispensingPolicy.from_mapping({"reserve": {"100": 20}}, CZK)
    cassettes = [czk("A", 100, 25), czk("B", 500, 1)]
    fewest = policy.admit(Preference())
    plan = plan_mix(100000, "CZK", policy.cassettes_for(fewest, cassettes), fewest)
    assert plan.by_denomination == {50000: 1, 10000: 5}
    small = policy.admit({"kind": "small", "max_notes": 20})
    plan = plan_mix(100000, "CZK", policy.cassettes_for(small, cassettes), small)
    assert plan.by_denomination == {10000: 10}
