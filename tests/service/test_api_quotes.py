"""Quotes: every preference kind, reasons, alternatives, nearest amounts, validation."""

import pytest


@pytest.mark.parametrize("preference", [
    None,
    {"kind": "fewest"},
    {"kind": "small"},
    {"kind": "small", "max_notes": 10},
    {"kind": "mixed"},
    {"kind": "counts", "counts": {"100000": 2, "50000": 3}},
    {"kind": "bounds", "min": {"10000": 2}, "max": {"50000": 1}, "exclude": [200000]},
    {"kind": "options"},
])
def test_every_preference_kind_gets_a_plan_that_pays_the_amount(kiosk, preference):
    response = kiosk.quote(350000, preference)
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    plan = body["plan"]
    assert sum(d["denomination"] * d["count"] for d in plan["by_denomination"]) == 350000
    assert sum(plan["by_cassette"].values()) == plan["notes"] <= 40
    assert body["status"] == "held" and body["amount"] == {"value": 350000, "currency": "CZK"}
    assert body["preference"]["kind"] == (preference or {"kind": "fewest"})["kind"]


def test_bounds_are_respected(kiosk):
    body = kiosk.quote(350000, {"kind": "bounds", "min": {"10000": 2},
                                "exclude": [200000]}).get_json()
    by_denomination = {d["denomination"]: d["count"] for d in body["plan"]["by_denomination"]}
    assert by_denomination.get(10000, 0) >= 2 and 200000 not in by_denomination


def test_options_kind_returns_a_menu_of_distinct_mixes(kiosk):
    body = kiosk.quote(350000, {"kind": "options"}).get_json()
    mixes = [tuple(sorted(o["by_cassette"].items())) for o in body["alternatives"]]
    assert len(mixes) >= 2 and len(set(mixes)) == len(mixes)


def test_other_kinds_offer_alternatives_that_differ_from_the_held_mix(kiosk):
    body = kiosk.quote(350000, {"kind": "fewest"}, alternatives=True).get_json()
    assert body["alternatives"]
    assert all(a["by_cassette"] != body["plan"]["by_cassette"] for a in body["alternatives"])
    assert kiosk.quote(350000, {"kind": "fewest"}, alternatives=False).get_json()[
        "alternatives"] == []


def test_alternatives_come_by_default_only_when_the_wish_is_not_met(kiosk):
    met = kiosk.quote(350000, {"kind": "fewest"}).get_json()
    assert met["exact"] is True and met["alternatives"] == []
    unmet = kiosk.quote(350000, {"kind": "counts", "counts": {"500000": 1}}).get_json()
    assert unmet["exact"] is False and unmet["alternatives"]


def test_a_wish_that_cannot_be_met_exactly_says_why(kiosk):
    body = kiosk.quote(350000, {"kind": "counts", "counts": {"500000": 1}}).get_json()
    assert body["exact"] is False and body["plan"]["reasons"]
    assert all(r["code"] for r in body["plan"]["reasons"])


def test_an_unpayable_amount_is_not_dispensable_with_the_nearest_amounts(kiosk):
    response = kiosk.quote(355000)
    assert response.status_code == 422
    body = response.get_json()
    assert body["code"] == "not_dispensable" and body["status"] == 422
    nearest = body["errors"]["nearest"]
    assert nearest["below"] == {"value": 350000, "currency": "CZK"}
    assert nearest["above"] == {"value": 360000, "currency": "CZK"}
    assert body["errors"]["reasons"]


def test_an_amount_over_the_note_limit_is_not_dispensable(kiosk):
    body = kiosk.quote(500000 * 50 + 10000).get_json()
    assert body["code"] == "not_dispensable"
    assert body["errors"]["nearest"]["above"] is None


def test_validation_lists_every_bad_field_at_once(kiosk):
    response = kiosk.post("/quotes", {"amount": {"value": 2000.5, "currency": "czk"},
                                      "preference": {"kind": "cheapest"}, "colour": "red"})
    assert response.status_code == 422
    body = response.get_json()
    assert body["code"] == "invalid_request"
    errors = body["errors"]["json"]
    assert set(errors["amount"]) == {"value", "currency"}
    assert "kind" in errors["preference"] and "colour" in errors


def test_preference_rules_of_the_domain_come_back_as_field_errors(kiosk):
    response = kiosk.quote(350000, {"kind": "bounds", "min": {"10000": 5},
                                    "max": {"10000": 2}})
    assert response.status_code == 422
    assert "min" in response.get_json()["errors"]["json"]["preference"]


def test_another_currency_than_the_terminals_is_refused(kiosk):
    response = kiosk.quote(10000, currency="EUR")
    assert response.status_code == 422
    assert "amount.currency" in response.get_json()["errors"]


def test_a_quote_reads_back_and_turns_expired_after_its_hold(kiosk, clock):
    body = kiosk.quote(350000).get_json()
    again = kiosk.get(f"/quotes/{body['id']}").get_json()
    assert again["id"] == body["id"] and again["plan"] == body["plan"]
    clock.advance(61)
    assert kiosk.get(f"/quotes/{body['id']}").get_json()["status"] == "expired"
    assert kiosk.get("/quotes/nope").get_json()["code"] == "not_found"


def test_bodies_over_the_size_limit_are_refused(kiosk):
    response = kiosk.post("/quotes", {"amount": {"value": 10000, "currency": "CZK"},
                                      "padding": "x" * 20000})
    assert response.status_code == 413
    assert response.get_json()["code"] == "request_entity_too_large"


def test_malformed_json_gets_the_error_body(kiosk):
    response = kiosk.client.post("/api/v1/terminals/demo-czk/quotes", data="{not json",
                                 headers=kiosk.headers({"Content-Type": "application/json"}))
    assert response.status_code in (400, 422)
    assert set(response.get_json()) == {"code", "status", "message", "errors"}


def test_dispensable_lists_payable_amounts_and_the_largest(kiosk):
    body = kiosk.get("/dispensable?currency=CZK").get_json()
    assert body["largest"] == 40 * 500000
    assert 350000 in body["amounts"] and 355000 not in body["amounts"]
    assert kiosk.get("/dispensable?currency=EUR").status_code == 422
