"""JSON forms of plans and preferences as the database stores them."""

from __future__ import annotations

import json
from functools import lru_cache
from typing import Any

from denomination.catalogue import default_catalogue
from denomination.plan import Plan, Reason, SolveStatus
from denomination.policy import DispensingPolicy
from denomination.preferences import Preference


def plan_to_json(plan: Plan) -> dict[str, Any]:
    """Return the JSON form of `plan` (its options are stored separately, as alternatives)."""
    return {
        "amount": plan.amount, "currency": plan.currency, "kind": str(plan.kind),
        "by_cassette": dict(plan.by_cassette),
        "by_denomination": {str(d): n for d, n in plan.by_denomination.items()},
        "exact": plan.exact, "label": plan.label,
        "reasons": [{"code": r.code, "message": r.message, "denomination": r.denomination,
                     "cassette": r.cassette} for r in plan.reasons],
        "preference": None if plan.preference is None else plan.preference.to_mapping(),
        "status": str(plan.status),
    }


def plan_from_json(data: dict[str, Any]) -> Plan:
    """Rebuild a plan from its JSON form."""
    return Plan(data["amount"], data["currency"], data["kind"], dict(data["by_cassette"]),
                {int(d): n for d, n in data["by_denomination"].items()}, data["exact"],
                tuple(Reason(**r) for r in data["reasons"]), data.get("label"),
                preference=Preference.from_mapping(data["preference"])
                if data.get("preference") else None,
                # Plans stored before the status was kept were all proven optimal.
                status=SolveStatus(data.get("status", SolveStatus.OPTIMAL)))


def policy_to_json(policy: DispensingPolicy | None, currency: str) -> str | None:
    """Return the stored text of a dispensing policy (its TOML form as JSON), or None."""
    if policy is None:
        return None
    return json.dumps(policy.to_mapping(default_catalogue().currency(currency)), sort_keys=True)


@lru_cache(maxsize=256)
def policy_from_json(text: str | None, currency: str) -> DispensingPolicy | None:
    """Rebuild a stored policy; cached, since every quote reads its terminal's policy. Rows
    written while the policy kept a copy of the note limit have it dropped."""
    if text is None:
        return None
    data = {k: v for k, v in json.loads(text).items() if k != "note_limit"}
    return DispensingPolicy.from_mapping(data, default_catalogue().currency(currency))
