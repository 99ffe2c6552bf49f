"""The journal: append-only, paged, filterable by kind and time."""

from datetime import timedelta


def test_the_journal_pages_and_filters(kiosk, staff, clock):
    start = clock.now()
    for count in (100, 200, 300):
        staff.patch("/cassettes/A", {"count": count, "reason": "recount"})
        clock.advance(10)
    quote = kiosk.quote(350000).get_json()
    kiosk.dispense(quote)
    everything = staff.get("/journal?page_size=500").get_json()
    assert everything["total"] == len(everything["items"])
    ids = [e["id"] for e in everything["items"]]
    assert ids == sorted(ids)
    page = staff.get("/journal?kind=cassette_adjusted&page=2&page_size=2").get_json()
    assert page["total"] == 3 and len(page["items"]) == 1
    assert page["items"][0]["after"]["count"] == 300
    both = staff.get("/journal?kind=dispense_started&kind=dispense_finished").get_json()
    assert [e["kind"] for e in both["items"]] == ["dispense_started", "dispense_finished"]
    since = (start + timedelta(seconds=5)).isoformat()
    until = (start + timedelta(seconds=15)).isoformat()
    window = staff.get("/journal", query_string={"since": since, "until": until,
                                                 "kind": "cassette_adjusted"}).get_json()
    assert [e["after"]["count"] for e in window["items"]] == [200]


def test_the_journal_has_no_way_to_change_it(staff):
    for method in ("post", "put", "patch", "delete"):
        response = getattr(staff.client, method)("/api/v1/terminals/demo-czk/journal",
                                                 headers=staff.headers())
        assert response.status_code == 405
        assert response.get_json()["code"] == "method_not_allowed"


def test_bad_filters_are_listed(staff):
    response = staff.get("/journal?page=0&since=yesterday")
    assert response.status_code == 422
    assert {"page", "since"} <= set(response.get_json()["errors"]["query"])
