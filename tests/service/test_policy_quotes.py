"""The dispensing policy as the service applies it: offered kinds, default, reserve, expiry."""

from dataclasses import replace
from datetime import datetime
from pathlib import Path

import pytest

from denomination.catalogue import default_catalogue
from denomination.policy import DispensingPolicy
from denomination.preferences import PreferenceKind
from kiosk_service.services.terminals import import_terminal
from kiosk_service.terminal_files import load_terminal_file

CZK = default_catalogue().currency("CZK")

TERMINALS = Path(__file__).resolve().parents[2] / "config" / "terminals"
DEMO = "demo-czk"


@pytest.fixture
def set_policy(app, clock):
    """Return a function giving the demo terminal a policy from its TOML form."""
    def apply(**fields) -> DispensingPolicy:
        terminal = load_terminal_file(TERMINALS / "demo-czk.toml")
        policy = DispensingPolicy.from_mapping(fields, CZK)
        deps = app.extensions["cashmix"]
        import_terminal(replace(terminal, policy=policy), uow=deps.unit_of_work(), clock=clock)
        return policy
    return apply


def test_a_kind_the_terminal_does_not_offer_is_refused_with_422(kiosk, set_policy):
    set_policy(offered=["fewest", "mixed"], default="fewest")
    response = kiosk.quote(350000, {"kind": "counts", "counts": {"100000": 3, "50000": 1}})
    body = response.get_json()
    assert response.status_code == 422 and body["code"] == "kind_not_offered"
    assert body["errors"]["offered"] == ["fewest", "mixed"]


def test_a_request_without_a_preference_gets_the_default_kind(kiosk, set_policy):
    set_policy(offered=["mixed", "fewest"], default="mixed")
    body = kiosk.quote(350000).get_json()
    assert body["preference"]["kind"] == "mixed" and body["plan"]["kind"] == "mixed"


def test_fewest_leaves_the_reserve_alone_and_those_who_ask_for_it_get_it(kiosk, set_policy):
    set_policy(reserve={"5000": 50})          # every 5000 note in cassette F
    fewest = kiosk.quote(500000, {"kind": "fewest"}).get_json()
    assert "F" not in fewest["plan"]["by_cassette"]
    asked = kiosk.quote(500000, {"kind": "counts", "counts": {"500000": 1}}).get_json()
    assert asked["plan"]["by_cassette"] == {"F": 1} and asked["plan"]["exact"] is True


def test_the_dispensable_answer_reflects_the_reserve(kiosk, set_policy):
    before = kiosk.get("/dispensable").get_json()["largest"]
    set_policy(reserve={"5000": 50})
    after = kiosk.get("/dispensable").get_json()["largest"]
    # Without the 5000s, 40 notes of at most 2000 CZK pay at most 80000 CZK.
    assert after <= 200000 * 40 < before


def test_the_policy_may_shorten_the_quote_hold(kiosk, set_policy):
    set_policy(quote_expiry_seconds=20)
    body = kiosk.quote(10000).get_json()
    held = datetime.fromisoformat(body["expires_at"]) - datetime.fromisoformat(body["created_at"])
    assert held.total_seconds() == 20


def test_the_terminal_status_shows_the_policy(kiosk, set_policy):
    set_policy(offered=["fewest", "small"], reserve={"100": 20}, locale="cs")
    policy = kiosk.get("").get_json()["policy"]
    assert policy == {"offered": ["fewest", "small"], "default": "fewest",
                      "reserve": {"100": 20}, "quote_expiry_seconds": 60,
                      "locale": "cs"}


def test_the_stored_policy_reads_back_equal(app, set_policy):
    policy = set_policy(offered=["small", "fewest"], default="small", reserve={"200": 7})
    deps = app.extensions["cashmix"]
    with deps.unit_of_work() as uow:
        stored = uow.terminals.get(DEMO)
    assert stored.policy == policy and stored.dispensing.default == PreferenceKind.SMALL
