"""Holds: a quote's notes are nobody else's until it expires or is dispensed."""

from datetime import datetime

import pytest


@pytest.fixture
def last_notes(staff):
    """Leave the terminal with three 2000s and nothing else in service."""
    for cassette in "ABCDF":
        assert staff.patch(f"/cassettes/{cassette}", {"status": "inoperative",
                                                      "reason": "test setup"}).status_code == 200
    assert staff.put("/cassettes/E", {"count": 3, "reason": "test setup"}).status_code == 200


def test_two_customers_are_never_promised_the_same_last_notes(kiosk, last_notes):
    first = kiosk.quote(400000)
    assert first.status_code == 201
    second = kiosk.quote(400000)
    assert second.status_code == 422 and second.get_json()["code"] == "not_dispensable"
    assert second.get_json()["errors"]["nearest"]["below"] == {"value": 200000,
                                                               "currency": "CZK"}


def test_an_expired_hold_frees_its_notes_without_any_job(kiosk, clock, last_notes):
    assert kiosk.quote(600000).status_code == 201
    assert kiosk.quote(200000).status_code == 422
    clock.advance(60)
    assert kiosk.quote(600000).status_code == 201


def test_a_dispensed_quote_releases_its_hold_and_takes_the_notes(kiosk, staff, last_notes):
    quote = kiosk.quote(400000).get_json()
    assert kiosk.dispense(quote).get_json()["outcome"] == "complete"
    cassette = staff.get("/cassettes/E").get_json()
    assert cassette["count"] == 1 and cassette["held"] == 0
    assert kiosk.quote(200000).status_code == 201


def test_staff_see_held_notes(kiosk, staff):
    quote = kiosk.quote(400000, {"kind": "counts", "counts": {"200000": 2}}).get_json()
    assert quote["plan"]["by_cassette"] == {"E": 2}
    cassette = staff.get("/cassettes/E").get_json()
    assert cassette["held"] == 2 and cassette["available"] == cassette["count"] - 2


def test_an_expired_quote_cannot_be_dispensed(kiosk, clock):
    quote = kiosk.quote(350000).get_json()
    clock.advance(60)
    response = kiosk.dispense(quote)
    assert response.status_code == 410 and response.get_json()["code"] == "quote_expired"


def test_the_hold_length_is_configurable(make_app, new_key):
    app = make_app(QUOTE_HOLD_SECONDS=5)
    key = new_key(app, "kiosk")
    body = app.test_client().post("/api/v1/terminals/demo-czk/quotes",
                                  json={"amount": {"value": 10000, "currency": "CZK"}},
                                  headers={"Authorization": f"Bearer {key}"}).get_json()
    held = datetime.fromisoformat(body["expires_at"]) - datetime.fromisoformat(body["created_at"])
    assert held.total_seconds() == 5


def test_a_preview_holds_nothing_and_cannot_be_dispensed(kiosk, staff, last_notes):
    previews = [kiosk.quote(600000, hold=False) for _ in range(3)]
    assert all(p.status_code == 201 and p.get_json()["status"] == "preview" for p in previews)
    assert staff.get("/cassettes/E").get_json()["held"] == 0
    held = kiosk.quote(600000)
    assert held.status_code == 201 and held.get_json()["status"] == "held"
    preview = previews[0].get_json()
    read = kiosk.get(f"/quotes/{preview['id']}")
    assert read.status_code == 409 and read.get_json()["code"] == "quote_is_preview"
    refused = kiosk.dispense(preview)
    assert refused.status_code == 409 and refused.get_json()["code"] == "quote_is_preview"
    assert staff.get("/cassettes/E").get_json()["count"] == 3
