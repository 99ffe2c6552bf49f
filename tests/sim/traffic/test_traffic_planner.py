"""The cash planner on small cases: reproducible, whole notes within capacity, honest seeds."""

import itertools
from dataclasses import replace
from pathlib import Path

import pytest

from sim.traffic.evaluation import Candidate, Evaluator, Score, SeedFigures
from sim.traffic.plan_run import parse_seeds, run_plan
from sim.traffic.plan_start import SAFETY_QUANTILES, analytic_start, measure_use
from sim.traffic.plan_target import Goal, resolve_target
from sim.traffic.planner import FINALISTS, MARGIN_Z, plan_load
from sim.traffic.terminal import read_terminal


def small_plan(terminal, plan_setting, *, jobs=1, seed=0, policy="cashmix", trials=4):
    with Evaluator(plan_setting, jobs=jobs) as evaluator:
        return plan_load(terminal, evaluator, policy, Goal.LEAST_CASH, train_seeds=(1, 2),
                         trials=trials, seed=seed)


def test_same_seed_same_plan(typical, plan_setting):
    first, again = small_plan(typical, plan_setting), small_plan(typical, plan_setting)
    assert [t.candidate for t in first.trials] == [t.candidate for t in again.trials]
    assert [t.score for t in first.trials] == [t.score for t in again.trials]
    assert first.chosen == again.chosen


def test_processes_do_not_change_the_plan(typical, plan_setting):
    alone = small_plan(typical, plan_setting, policy="bank_optimal")
    pooled = small_plan(typical, plan_setting, policy="bank_optimal", jobs=2)
    assert alone.chosen == pooled.chosen
    assert [t.score for t in alone.trials] == [t.score for t in pooled.trials]


def test_loads_are_whole_notes_within_capacity(typical, plan_setting):
    tight = replace(typical, cassettes=tuple(replace(c, capacity=120) for c in typical.cassettes))
    tight = tight.with_load({c.id: 100 for c in tight.cassettes})
    plan = small_plan(tight, plan_setting, trials=6)
    for trial in plan.trials:
        load, low = dict(trial.candidate.load), dict(trial.candidate.thresholds)
        assert set(load) == {c.id for c in tight.cassettes}
        for cassette in tight.cassettes:
            assert isinstance(load[cassette.id], int) and isinstance(low[cassette.id], int)
            assert 1 <= load[cassette.id] <= cassette.capacity
            assert 0 <= low[cassette.id] < load[cassette.id]


def test_the_chosen_load_meets_the_target_in_sample_when_any_does(typical, plan_setting):
    plan = small_plan(typical, plan_setting, trials=6)
    if plan.any_feasible:
        assert plan.chosen.feasible
        assert plan.target.feasible(plan.chosen.score)
        assert all(plan.chosen.score.mean_cash <= t.score.mean_cash
                   for t in plan.trials if t.feasible)
    assert plan.target.max_visits == plan.baseline_train.visits
    assert plan.target.max_refused == plan.baseline_train.refused


def test_judged_on_fresh_seeds_only(typical, plan_setting):
    with Evaluator(plan_setting) as evaluator:
        with pytest.raises(ValueError):
            run_plan(typical, evaluator, "cashmix", Goal.LEAST_CASH, train_seeds=(1, 2),
                     test_seeds=(2, 3), trials=2)
        run = run_plan(typical, evaluator, "cashmix", Goal.LEAST_CASH, train_seeds=(1, 2),
                       test_seeds=(3, 4), trials=2)
    assert [s.seed for s in run.planned.seeds] == [3, 4]
    assert [s.seed for s in run.baseline.seeds] == [3, 4]
    assert {s.seed for t in run.plan.trials for s in t.score.seeds} == {1, 2}
    assert run.planned.failures().withdrawals > 0


def test_fewest_visits_keeps_to_the_cash_limit_in_sample(typical, plan_setting):
    with Evaluator(plan_setting) as evaluator:
        plan = plan_load(typical, evaluator, "bank_optimal", Goal.FEWEST_VISITS,
                         train_seeds=(1, 2), trials=6, max_cash=60_000_000)
    assert plan.target.max_cash == 60_000_000
    for trial in plan.trials:
        assert trial.feasible == (trial.score.mean_cash <= 60_000_000
                                  and trial.score.refused <= plan.target.max_refused + 1e-12)


def test_file_load_as_candidate(typical):
    candidate = Candidate.of(typical)
    assert candidate.apply(typical) == typical
    assert candidate.value(typical) == typical.loaded_value


@pytest.mark.parametrize(("text", "seeds"), [("1-3", (1, 2, 3)), ("4,9", (4, 9)),
                                             ("1-2,7", (1, 2, 7))])
def test_seed_lists(text, seeds):
    assert parse_seeds(text) == seeds


@pytest.mark.parametrize("text", ["", "1,1", "a"])
def test_bad_seed_lists(text):
    with pytest.raises(ValueError):
        parse_seeds(text)


def test_finalists_are_confirmed_on_more_seeds_with_the_baseline(typical, plan_setting):
    with Evaluator(plan_setting) as evaluator:
        plan = plan_load(typical, evaluator, "bank_optimal", Goal.LEAST_CASH, train_seeds=(1, 2),
                         trials=5, confirm_seeds=(3, 4), finalists=2)
    assert plan.in_sample_seeds == (1, 2, 3, 4)
    assert len(plan.confirmed) == 2 and plan.chosen in plan.confirmed
    for trial in plan.confirmed:
        assert [s.seed for s in trial.score.seeds] == [1, 2, 3, 4]
        assert trial.feasible == plan.target.feasible(trial.score)
    assert [s.seed for s in plan.baseline_train.seeds] == [1, 2, 3, 4]
    assert plan.target.max_refused == plan.baseline_train.refused
    assert {s.seed for t in plan.trials for s in t.score.seeds} == {1, 2}


def test_confirmation_seeds_are_new_and_never_test_seeds(typical, plan_setting):
    with Evaluator(plan_setting) as evaluator:
        with pytest.raises(ValueError):
            plan_load(typical, evaluator, "bank_optimal", Goal.LEAST_CASH, train_seeds=(1, 2),
                      trials=2, confirm_seeds=(2, 3))
        with pytest.raises(ValueError):
            run_plan(typical, evaluator, "bank_optimal", Goal.LEAST_CASH, train_seeds=(1,),
                     confirm_seeds=(2,), test_seeds=(2, 3), trials=2)


def _score(refused):
    return Score(tuple(SeedFigures(seed, 9.0, 80_000_000, r, 0.9)
                       for seed, r in enumerate(refused, start=1)))


@pytest.mark.parametrize(("candidate", "feasible"), [
    ((0.020, 0.004, 0.004), True),     # fewer on every seed
    ((0.003, 0.012, 0.012), False),    # fewer on average, thanks to one busy seed only
    ((0.040, 0.001, 0.001), False),    # fewer on most seeds, more on average
])
def test_the_baselines_refusal_limit_holds_with_a_margin_seed_by_seed(candidate, feasible):
    baseline = _score((0.030, 0.005, 0.005))
    target = resolve_target(Goal.LEAST_CASH, baseline, margin_z=MARGIN_Z)
    assert target.feasible(_score(candidate)) == feasible
    given = resolve_target(Goal.LEAST_CASH, baseline, max_refused=0.02)
    assert given.paired_refused == ()


CONFIG = Path(__file__).resolve().parents[3] / "config"
TYPICAL, DEMO = CONFIG / "demand" / "typical-czk-atm.toml", CONFIG / "terminals" / "demo-czk.toml"


@pytest.mark.parametrize("path", [TYPICAL, DEMO], ids=["typical", "demo"])
def test_the_safety_ladder_adds_stock_in_hand_at_the_same_visits(path, plan_setting):
    terminal = read_terminal(path)
    with Evaluator(plan_setting) as evaluator:
        baseline = evaluator.score(terminal, "bank_optimal", Candidate.of(terminal), (1, 2))
        use = measure_use(terminal, evaluator, "cashmix", (1, 2))
    target = resolve_target(Goal.LEAST_CASH, baseline)
    steps = [analytic_start(terminal, use, target, plan_setting.replenishment, safety=q)
             for q in (0.5, *SAFETY_QUANTILES)]
    for lower, higher in itertools.pairwise(steps):
        low, high = dict(lower.thresholds), dict(higher.thresholds)
        assert all(low[c.id] <= high[c.id] for c in terminal.cassettes)
        cycle = {cid: n - low[cid] for cid, n in lower.load}
        assert {cid: n - high[cid] for cid, n in higher.load} == cycle
    largest = max(terminal.cassettes, key=lambda c: c.denomination).id
    assert dict(steps[-1].thresholds)[largest] > dict(steps[0].thresholds)[largest]


@pytest.mark.parametrize("path", [TYPICAL, DEMO], ids=["typical", "demo"])
def test_the_start_and_its_ladder_are_confirmed_first(path, plan_setting):
    terminal = read_terminal(path)
    with Evaluator(plan_setting) as evaluator:
        plan = plan_load(terminal, evaluator, "cashmix", Goal.LEAST_CASH, train_seeds=(1, 2),
                         trials=len(SAFETY_QUANTILES) + 8, confirm_seeds=(3, 4))
    confirmed = [t.candidate for t in plan.confirmed]
    assert confirmed[0] == plan.start
    assert len(plan.ladder) == len(SAFETY_QUANTILES)
    assert set(plan.ladder) - {plan.start} <= set(confirmed)
    assert len(plan.confirmed) == FINALISTS and plan.chosen in plan.confirmed
    if any(t.feasible for t in plan.confirmed):
        assert plan.chosen.feasible
        assert all(plan.target.objective(plan.chosen.score) <= plan.target.objective(t.score)
                   for t in plan.confirmed if t.feasible)
