"""Why wishes fail: the stock at the time, or no stock of the terminal's notes at all."""

from datetime import datetime, timedelta

from denomination import Preference, PreferenceKind
from sim.traffic.demand import Withdrawal
from sim.traffic.policies import Policy
from sim.traffic.replenishment import Replenishment
from sim.traffic.simulation import MET, simulate
from sim.traffic.wish_failures import classify_failures

START = datetime(2027, 3, 1)


def withdrawal(index, amount_czk, preference):
    return Withdrawal(index, START + timedelta(minutes=index), amount_czk * 100,
                      str(preference.kind), preference)


def test_mixed_for_1000_czk_fails_whatever_the_stock_five_200s_for_want_of_them(typical):
    # 200/500/1000/2000: no mix of 1000 CZK holds both a 200 and a 500, whatever the stock.
    few_200s = typical.with_load({"A": 3})
    five_200s = Preference(PreferenceKind.COUNTS, counts=((20000, 5),))
    stream = (withdrawal(0, 1000, Preference(PreferenceKind.MIXED)),
              withdrawal(1, 1000, five_200s), withdrawal(2, 2000, Preference()))
    run = simulate(Policy("cashmix"), few_200s, stream, start=START, days=1,
                   replenishment=Replenishment.never(), common=(100000,))
    assert [o.result for o in run.outcomes] == ["partial", "partial", MET]
    failures = classify_failures(run, stream, few_200s, "cashmix")
    assert failures.withdrawals == 3
    assert (failures.any_stock_partial, failures.stock_partial) == (1, 1)
    assert failures.stock_refused == failures.any_stock_refused == 0
    assert failures.by_stock == failures.by_denominations == 1 / 3


def test_every_unmet_wish_is_counted_once(typical, profile):
    from sim.traffic.demand import generate_demand

    stream, _ = generate_demand(profile, typical.denominations, typical.note_limit, 2, 5)
    run = simulate(Policy("cashmix"), typical.with_load({"A": 20, "B": 20}), stream, start=START,
                   days=2, replenishment=Replenishment.never(), common=(100000,))
    failures = classify_failures(run, stream, typical, "cashmix")
    unmet = sum(o.result != MET for o in run.outcomes)
    assert unmet > 0
    assert (failures.stock_partial + failures.stock_refused + failures.any_stock_partial
            + failures.any_stock_refused) == unmet
