"""A quote says what the optimiser proved of its mix (optimal, or feasible when the solve ran
out of time first), keeps it when read back, and the metrics count it."""

from __future__ import annotations

from dataclasses import replace

from denomination.plan import Plan, SolveStatus
from kiosk_service.persistence.codecs import plan_from_json, plan_to_json


def test_a_quote_shows_its_solve_status_and_keeps_it(kiosk, client):
    quote = kiosk.quote(200000, {"kind": "mixed"}).get_json()
    assert quote["plan"]["status"] == "optimal"
    again = kiosk.get(f"/quotes/{quote['id']}").get_json()
    assert again["plan"]["status"] == "optimal"
    exposition = client.get("/metrics").get_data(as_text=True)
    assert 'cashmix_plans_total{status="optimal"} 1.0' in exposition


def test_a_feasible_plan_stays_feasible_in_the_database():
    plan = Plan.from_counts(200000, "CZK", "mixed", {"C": 2, "D": 1}, {"C": 50000, "D": 100000})
    feasible = replace(plan, status=SolveStatus.FEASIBLE)
    assert plan_from_json(plan_to_json(feasible)).status == SolveStatus.FEASIBLE
    stored_before = {k: v for k, v in plan_to_json(plan).items() if k != "status"}
    assert plan_from_json(stored_before).status == SolveStatus.OPTIMAL
