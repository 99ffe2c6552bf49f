"""Replenishment: scheduled and low-stock visits restore the configured load, on time."""

from datetime import datetime, timedelta

from denomination import Cassette, Preference
from sim.traffic.demand import Withdrawal
from sim.traffic.policies import Policy
from sim.traffic.replenishment import Replenishment
from sim.traffic.simulation import REFUSED, simulate
from sim.traffic.terminal import Terminal

START = datetime(2027, 3, 1)
THOUSAND = 100000  # 1000 CZK in minor units


def one_cassette_terminal(count=10, low_threshold=2) -> Terminal:
    cassette = Cassette("A", "CZK", THOUSAND, count, capacity=100, low_threshold=low_threshold)
    return Terminal("t", "test", "CZK", 40, (cassette,))


def hourly_thousands(hours: int) -> tuple[Withdrawal, ...]:
    """One 1000 CZK withdrawal at half past every hour."""
    return tuple(Withdrawal(i, START + timedelta(hours=i, minutes=30), THOUSAND, "fewest",
                            Preference()) for i in range(hours))


def run(rule: Replenishment, hours: int, days: int = 2, terminal=None):
    return simulate(Policy("cashmix"), terminal or one_cassette_terminal(), hourly_thousands(hours),
                    start=START, days=days, replenishment=rule, common=(THOUSAND,))


def test_without_visits_the_cassette_empties_and_customers_are_refused():
    result = run(Replenishment.never(), hours=12)
    assert result.visits == ()
    assert result.first_empty == (START + timedelta(hours=9, minutes=30), "A")
    assert [o.result for o in result.outcomes[10:]] == [REFUSED, REFUSED]
    assert result.first_unpayable == START + timedelta(hours=10)


def test_a_low_cassette_calls_a_visit_that_restores_the_load_after_the_lead_time():
    result = run(Replenishment(every_days=0, on_low=True, lead_hours=3), hours=12)
    # The 8th note leaves 2 (the threshold) at 07:30; the crew comes at 10:30 and finds 0.
    first = result.visits[0]
    assert (first.at, first.reason) == (START + timedelta(hours=10, minutes=30), "low")
    assert first.found == (0,)
    assert first.idle_value == 0
    assert result.outcomes[10].result != REFUSED   # served at 10:30 from the new load
    assert result.samples[11].counts == (9,)


def test_scheduled_visits_come_every_n_days_after_the_last_visit_and_find_what_is_left():
    terminal = one_cassette_terminal(count=100, low_threshold=0)
    result = run(Replenishment(every_days=1, on_low=False), hours=30, days=3, terminal=terminal)
    assert [(v.at, v.reason) for v in result.visits] == [
        (START + timedelta(days=1), "scheduled"), (START + timedelta(days=2), "scheduled")]
    assert result.visits[0].found == (76,)           # 24 notes taken on day 1
    assert result.visits[0].idle_value == 76 * THOUSAND
    assert result.visits[1].found == (94,)           # 6 more on day 2 (the stream ends at 30 h)
