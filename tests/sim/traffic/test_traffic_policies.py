"""The study: every policy is fed the identical demand, and the outcomes add up."""

from sim.traffic.metrics import summarise
from sim.traffic.policies import POLICY_NAMES
from sim.traffic.replenishment import Replenishment
from sim.traffic.simulation import REFUSED
from sim.traffic.study import Study, run_study, study_reserve


def small_study(profile, terminal, days=2) -> Study:
    return Study(terminal, profile, days, seed=3, replenishment=Replenishment(),
                 reserve=study_reserve(terminal, {"share": 0.25, "denominations": 2}))


def test_every_policy_sees_the_same_customers_in_the_same_order(profile, typical):
    result = run_study(small_study(profile, typical), run_out=False)
    customers = [(w.index, w.at, w.amount, w.wish) for w in result.stream]
    assert set(result.operating) == set(POLICY_NAMES)
    for run in result.operating.values():
        assert [(o.index, o.at, o.amount, o.wish) for o in run.outcomes] == customers


def test_every_paid_withdrawal_is_paid_exactly_and_stock_never_goes_negative(profile, typical):
    result = run_study(small_study(profile, typical), run_out=False)
    for run in result.operating.values():
        for outcome in run.outcomes:
            if outcome.result != REFUSED:
                assert sum(d * n for d, n in outcome.notes) == outcome.amount
        assert all(min(s.counts) >= 0 for s in run.samples)


def test_customer_choice_meets_more_wishes_than_bank_optimal(profile, typical):
    result = run_study(small_study(profile, typical, days=1), run_out=False)
    choice = summarise(result.operating["cashmix"], typical)
    legacy = summarise(result.operating["bank_optimal"], typical)
    assert choice.chooser_met > legacy.chooser_met + 0.3


def test_reserve_defaults_to_a_share_of_the_smallest_notes(typical):
    assert study_reserve(typical, {"share": 0.25, "denominations": 2}) == ((20000, 38),
                                                                           (50000, 38))


def test_run_out_stops_once_a_common_amount_cannot_be_paid(profile, typical):
    result = run_study(small_study(profile, typical, days=3), run_out=True)
    for run in result.run_out.values():
        assert run.visits == ()
        if run.first_unpayable is not None:
            assert all(o.at <= run.first_unpayable for o in run.outcomes)


def test_trade_spares_a_low_cassette_for_a_near_equivalent_mix_and_counts_the_wish_lost(typical):
    from denomination import Preference
    from sim.traffic.policies import Policy

    low_2000s = list(typical.with_load({"D": 150}, {"D": 200}).cassettes)
    fewest = Policy("cashmix").planner()(350000, "CZK", low_2000s, Preference(), 40)
    traded = Policy("cashmix_trade").planner()(350000, "CZK", low_2000s, Preference(), 40)
    assert fewest.by_denomination == {200000: 1, 100000: 1, 50000: 1} and fewest.exact
    assert traded.by_denomination == {100000: 3, 50000: 1} and not traded.exact
    assert "health_trade" in [r.code for r in traded.reasons]
    plenty = list(typical.cassettes)
    assert Policy("cashmix_trade").planner()(350000, "CZK", plenty, Preference(), 40) == \
        Policy("cashmix").planner()(350000, "CZK", plenty, Preference(), 40)
