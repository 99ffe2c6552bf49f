"""Cassettes (staff): every change reaches the device and the journal, with before and after."""

import pytest


def _last(staff, kind: str) -> dict:
    return staff.get(f"/journal?kind={kind}").get_json()["items"][-1]


def test_replenish_loads_fresh_notes_and_journals_it(staff, keys):
    response = staff.put("/cassettes/A", {"count": 1500, "reason": "morning replenishment"})
    assert response.status_code == 200
    assert response.get_json()["count"] == 1500
    entry = _last(staff, "cassette_replenished")
    assert entry["actor"].startswith("staff:") and entry["reason"] == "morning replenishment"
    assert entry["before"]["count"] == 600 and entry["after"]["count"] == 1500


def test_a_recount_adjusts_the_count(staff):
    staff.patch("/cassettes/B", {"count": 598, "reason": "count check: two notes short"})
    assert staff.get("/cassettes/B").get_json()["count"] == 598
    entry = _last(staff, "cassette_adjusted")
    assert (entry["before"]["count"], entry["after"]["count"]) == (600, 598)


def test_an_inoperative_cassette_is_not_used_and_can_come_back(kiosk, staff):
    staff.patch("/cassettes/E", {"status": "inoperative", "reason": "sensor fault"})
    quote = kiosk.quote(400000).get_json()
    assert "E" not in quote["plan"]["by_cassette"]
    staff.patch("/cassettes/E", {"status": "ok", "reason": "sensor replaced"})
    assert kiosk.quote(400000).get_json()["plan"]["by_cassette"] == {"E": 2}


def test_changing_the_denomination_changes_the_plans(kiosk, staff):
    staff.put("/cassettes/F", {"count": 100, "denomination": 200000,
                               "reason": "no 5000s this week"})
    assert staff.get("/cassettes/F").get_json()["denomination"] == 200000
    body = kiosk.quote(500000).get_json()
    assert all(d["denomination"] != 500000 for d in body["plan"]["by_denomination"])


def test_the_device_follows_staff_changes(app, staff, kiosk):
    staff.put("/cassettes/E", {"count": 1, "reason": "almost empty"})
    quote = kiosk.quote(400000, {"kind": "counts", "counts": {"200000": 2}}).get_json()
    assert quote["plan"]["by_cassette"].get("E", 0) <= 1
    assert kiosk.dispense(quote).get_json()["outcome"] == "complete"


@pytest.mark.parametrize(("body", "field"), [
    ({"count": 100, "denomination": 30000, "reason": "typo"}, "denomination"),
    ({"count": 5000, "reason": "over capacity"}, "count"),
])
def test_impossible_changes_are_refused(staff, body, field):
    response = staff.put("/cassettes/A", body)
    assert response.status_code == 422 and field in response.get_json()["errors"]


def test_a_change_needs_a_reason_and_something_to_change(staff):
    response = staff.patch("/cassettes/A", {"count": -1})
    errors = response.get_json()["errors"]["json"]
    assert response.status_code == 422 and {"count", "reason"} <= set(errors)
    assert staff.patch("/cassettes/A", {"reason": "nothing"}).status_code == 422


def test_an_unknown_cassette_is_not_found(staff):
    assert staff.get("/cassettes/Z").status_code == 404
    assert staff.patch("/cassettes/Z", {"count": 1, "reason": "nope"}).status_code == 404
