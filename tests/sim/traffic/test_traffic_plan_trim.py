"""The planner's trim: finalists' cycles cut toward the visit limit, thresholds kept."""

import pytest

from sim.traffic.evaluation import Candidate, Evaluator, Score, SeedFigures
from sim.traffic.plan_target import Goal, Target, resolve_target
from sim.traffic.plan_trim import (
    TRIM_STEPS,
    cycle_share,
    trim_candidates,
    trimmed,
)
from sim.traffic.planner import MARGIN_Z, plan_load

LOAD = Candidate((("A", 650), ("B", 336), ("C", 313), ("D", 465)),
                 (("A", 197), ("B", 105), ("C", 93), ("D", 138)))


def _score(visits, cash=86_000_000, refused=0.01):
    return Score(tuple(SeedFigures(seed, v, cash, refused, 0.9)
                       for seed, v in enumerate(visits, start=1)))


@pytest.mark.parametrize(("visits", "limit", "share"), [
    (9.0, 9.0, 1.0), (9.5, 9.0, 1.0), (0.0, 9.0, 1.0),
    (8.8, 9.0, (720 / 9.0 - 24) / (720 / 8.8 - 24)),    # 80 h a visit instead of 81.8 h
    (6.0, 9.0, (80 - 24) / (120 - 24)),
])
def test_the_cycle_share_gives_the_limits_visit_interval(visits, limit, share):
    assert cycle_share(visits, limit, 24) == pytest.approx(share)


def test_a_trim_keeps_the_thresholds_and_cuts_each_cycle(typical):
    trim = trimmed(LOAD, 0.9)
    assert trim.thresholds == LOAD.thresholds
    low = dict(LOAD.thresholds)
    for (cid, before), (_, after) in zip(LOAD.load, trim.load, strict=True):
        assert after - low[cid] == round((before - low[cid]) * 0.9)
    assert trim.cycle_value(typical) < LOAD.cycle_value(typical)
    assert trimmed(LOAD, 0.0).load == tuple((cid, n + 1) for cid, n in LOAD.thresholds)


def test_a_cassette_without_a_cycle_keeps_its_load():
    flat = Candidate((("A", 0), ("B", 100), ("C", 5)), (("A", 0), ("B", 20), ("C", 5)))
    assert trimmed(flat, 0.5).load == (("A", 0), ("B", 60), ("C", 5))


def test_only_feasible_finalists_with_visits_to_spare_that_may_get_cheapest_are_trimmed(typical):
    target = Target(Goal.LEAST_CASH, max_visits=9.0, max_refused=0.02)
    dear = Candidate(tuple((cid, n + 200) for cid, n in LOAD.load), LOAD.thresholds)
    finalists = [(LOAD, _score([9, 9, 8]), False),           # refuses too much
                 (LOAD, _score([9, 9, 9], cash=85_000_000), True),   # no visits to spare
                 (LOAD, _score([9, 9, 8], cash=86_000_000), True),
                 (dear, _score([9, 8, 8], cash=99_000_000), True)]  # too dear to catch up
    trims = trim_candidates(typical, finalists, target, 24)
    assert {i for i, _ in trims} == {2}
    assert len(trims) == len(TRIM_STEPS)
    assert all(c.thresholds == LOAD.thresholds for _, c in trims)
    assert all(c.cycle_value(typical) < LOAD.cycle_value(typical) for _, c in trims)
    fewest = Target(Goal.FEWEST_VISITS, max_cash=90_000_000, max_refused=0.02)
    assert trim_candidates(typical, finalists, fewest, 24) == []


@pytest.mark.parametrize(("visits", "feasible"), [
    ((9, 9, 8, 9), True),       # the same or fewer on every seed
    ((10, 8, 9, 8), False),     # fewer on average, one seed over: inside the margin
    ((10, 9, 9, 9), False),     # more
])
def test_the_baselines_visit_limit_holds_with_a_margin_seed_by_seed(visits, feasible):
    baseline = _score((9, 9, 9, 9))
    target = resolve_target(Goal.LEAST_CASH, baseline, margin_z=MARGIN_Z)
    assert target.feasible(_score(visits)) == feasible
    assert resolve_target(Goal.LEAST_CASH, baseline, max_visits=9.5).paired_visits == ()


def test_trims_are_scored_on_every_in_sample_seed_and_may_be_chosen(typical, plan_setting):
    with Evaluator(plan_setting) as evaluator:
        plan = plan_load(typical, evaluator, "cashmix", Goal.LEAST_CASH, train_seeds=(1, 2),
                         trials=6, confirm_seeds=(3, 4), finalists=3, max_visits=30.0)
    numbers = {t.number for t in plan.confirmed}
    assert plan.trimmed
    for trim in plan.trimmed:
        finalist = next(t for t in plan.confirmed if t.number == trim.trimmed_from)
        assert finalist.feasible and trim.number not in numbers
        assert trim.candidate.thresholds == finalist.candidate.thresholds
        assert [s.seed for s in trim.score.seeds] == list(plan.in_sample_seeds)
        assert trim.feasible == plan.target.feasible(trim.score)
    pool = [t for t in plan.confirmed + plan.trimmed if t.feasible]
    if pool:
        assert plan.chosen.score.mean_cash == min(t.score.mean_cash for t in pool)
