"""The staff console through the Flask test client: sign-in, CSRF, scope, forms, journal."""

import re

import pytest

from tests.service.conftest import token

DEMO = "demo-czk"


def text(response) -> str:
    return response.get_data(as_text=True)


def test_pages_need_a_sign_in(console):
    response = console.get(f"/console/terminals/{DEMO}")
    assert response.status_code == 302 and "/console/sign-in" in response.location


def test_a_kiosk_key_cannot_sign_in(console, keys):
    response = console.sign_in(keys["kiosk"])
    assert response.status_code == 401 and "cannot sign in" in text(response)
    assert console.get("/console/").status_code == 302


def test_a_wrong_key_cannot_sign_in(console):
    response = console.sign_in("cmx_nope_nope")
    assert response.status_code == 401 and 'id="key-problem"' in text(response)


def test_a_post_without_the_csrf_token_is_refused(signed_in):
    response = signed_in.client.post(f"/console/terminals/{DEMO}/replenish",
                                     data={"loaded.A": "10", "total": "1000"})
    assert response.status_code == 400


def test_staff_see_only_their_terminal(signed_in):
    assert signed_in.get("/console/").location.endswith(f"/console/terminals/{DEMO}")
    assert signed_in.get("/console/terminals/vienna-eur").status_code == 403


def test_the_overview_shows_fill_warnings_and_run_out(signed_in, staff):
    staff.patch("/cassettes/F", {"count": 3, "reason": "recount"})
    staff.patch("/cassettes/B", {"status": "inoperative", "reason": "jammed"})
    page = text(signed_in.get(f"/console/terminals/{DEMO}"))
    assert re.search(r'id="cassette-F" class="low"', page)
    assert re.search(r'id="cassette-B" class="inoperative"', page)
    assert 'aria-valuenow="30"' in page and "no recent demand" in page


def test_the_run_out_estimate_follows_recent_demand(signed_in, kiosk):
    for _ in range(7):
        quote = kiosk.quote(500000, {"kind": "counts", "counts": {"500000": 1}}).get_json()
        assert kiosk.dispense(quote, key=quote["id"]).status_code == 201
    page = text(signed_in.get(f"/console/terminals/{DEMO}"))
    # 7 notes in 7 days: one a day; 43 left.
    assert "in about 43 days" in page and "1.0 notes a day" in page


def test_replenish_refuses_a_wrong_total_next_to_the_field(signed_in, counts):
    path = f"/console/terminals/{DEMO}/replenish"
    response = signed_in.post(path, {"loaded.A": "100", "loaded.E": "10", "total": "30001"})
    assert response.status_code == 422 and 'id="total-problem"' in text(response)
    assert counts()["A"] == 600


def test_replenish_shows_before_and_after_then_applies_and_journals(signed_in, counts, staff):
    path = f"/console/terminals/{DEMO}/replenish"
    data = {"loaded.A": "100", "loaded.E": "10", "total": "30000", "reason": "Tuesday run"}
    confirm = signed_in.post(path, data)
    assert confirm.status_code == 200 and "Confirm replenishment" in text(confirm)
    assert counts()["A"] == 600
    done = signed_in.client.post(path, data=data | {"confirm": "yes",
                                                    "csrf_token": token(confirm)})
    assert done.status_code == 302
    assert (counts()["A"], counts()["E"]) == (700, 210)
    entries = staff.get("/journal?kind=cassette_replenished").get_json()["items"]
    assert [(e["subject"], e["reason"], e["before"]["count"], e["after"]["count"])
            for e in entries] == [("A", "Tuesday run", 600, 700), ("E", "Tuesday run", 200, 210)]
    assert entries[0]["actor"].startswith("staff:")


def test_replenish_over_capacity_is_shown_by_the_cassette(signed_in):
    response = signed_in.post(f"/console/terminals/{DEMO}/replenish",
                              {"loaded.A": "1500", "total": "150000"})
    assert response.status_code == 422 and 'id="loaded.A-problem"' in text(response)


def test_a_cassette_change_needs_a_reason_and_lists_every_problem(signed_in):
    response = signed_in.post(f"/console/terminals/{DEMO}/cassettes/A",
                              {"denomination": "300", "status": "lost", "count": "x"})
    page = text(response)
    assert response.status_code == 422
    for field in ("denomination", "status", "count", "reason"):
        assert f'id="{field}-problem"' in page


@pytest.mark.parametrize("change, expected", [
    ({"status": "inoperative"}, ("inoperative", 600, 10000)),
    ({"count": "590"}, ("ok", 590, 10000)),
    ({"denomination": "200"}, ("ok", 600, 20000)),
])
def test_cassette_changes_apply_and_journal_the_reason(signed_in, staff, change, expected):
    form = {"denomination": "100", "status": "ok", "count": "600", "reason": "physical count"}
    response = signed_in.post(f"/console/terminals/{DEMO}/cassettes/A", form | change)
    assert response.status_code == 302
    cassette = staff.get("/cassettes/A").get_json()
    assert (cassette["status"], cassette["count"], cassette["denomination"]) == expected
    entry = staff.get("/journal?kind=cassette_adjusted").get_json()["items"][-1]
    assert entry["reason"] == "physical count" and entry["subject"] == "A"


def test_back_in_service(signed_in, staff):
    staff.patch("/cassettes/C", {"status": "inoperative", "reason": "jammed"})
    form = {"denomination": "500", "status": "ok", "count": "400", "reason": "fixed"}
    assert signed_in.post(f"/console/terminals/{DEMO}/cassettes/C", form).status_code == 302
    assert staff.get("/cassettes/C").get_json()["status"] == "ok"


def test_the_journal_filters_by_kind_cassette_and_date(signed_in, staff):
    staff.patch("/cassettes/A", {"count": 599, "reason": "recount A"})
    staff.patch("/cassettes/B", {"count": 599, "reason": "recount B"})
    page = text(signed_in.get(f"/console/terminals/{DEMO}/journal?kind=cassette_adjusted"
                              "&cassette=B"))
    assert "recount B" in page and "recount A" not in page
    assert page.count('class="entry ') == 1
    bad = signed_in.get(f"/console/terminals/{DEMO}/journal?since=yesterday")
    assert bad.status_code == 422 and 'id="since-problem"' in text(bad)
    later = text(signed_in.get(f"/console/terminals/{DEMO}/journal?since=2999-01-01"))
    assert 'class="entry ' not in later


def test_staff_may_read_the_policy_but_not_change_it(signed_in):
    path = f"/console/terminals/{DEMO}/policy"
    assert "Only an admin key" in text(signed_in.get(path))
    response = signed_in.post(path, {"offered": ["fewest"], "default": "fewest",
                                     "quote_expiry_seconds": "60", "locale": "en",
                                     "reason": "x"})
    assert response.status_code == 403


def test_an_admin_changes_the_policy_and_it_is_journalled(console, keys, kiosk, staff):
    console.sign_in(keys["admin"])
    path = f"/console/terminals/{DEMO}/policy"
    bad = console.post(path, {"offered": ["fewest"], "default": "mixed",
                              "quote_expiry_seconds": "2", "locale": "en"})
    page = text(bad)
    assert bad.status_code == 422
    for field in ("default", "quote_expiry_seconds", "reason"):
        assert f'id="{field}-problem"' in page
    good = console.post(path, {"offered": ["fewest", "mixed"], "default": "mixed",
                               "reserve.500000": "10", "quote_expiry_seconds": "30",
                               "locale": "cs", "reason": "branch request"})
    assert good.status_code == 302
    assert kiosk.quote(100000, {"kind": "small"}).get_json()["code"] == "kind_not_offered"
    entry = staff.get("/journal?kind=policy_changed").get_json()["items"][-1]
    assert entry["reason"] == "branch request" and entry["before"]["default"] == "fewest"
    assert entry["after"]["reserve"] == {"5000": 10} and entry["after"]["locale"] == "cs"


def test_sign_out_ends_the_session(signed_in):
    page = signed_in.get(f"/console/terminals/{DEMO}")
    response = signed_in.client.post("/console/sign-out", data={"csrf_token": token(page)})
    assert response.status_code == 302
    assert signed_in.get(f"/console/terminals/{DEMO}").status_code == 302


def entries(page: str) -> list[str]:
    """Return the journal table's rows, as HTML, top to bottom."""
    return re.findall(r'<tr class="entry .*?</tr>', page, flags=re.S)


def test_the_journal_shows_the_newest_entry_first(signed_in, staff):
    for cassette in ("A", "B", "C"):
        staff.patch(f"/cassettes/{cassette}", {"count": 399, "reason": f"recount {cassette}"})
    rows = entries(text(signed_in.get(f"/console/terminals/{DEMO}/journal"
                                      "?kind=cassette_adjusted")))
    assert [re.search(r"recount (\w)", row)[1] for row in rows] == ["C", "B", "A"]


def test_a_change_reads_field_before_and_after_with_money_in_the_currencys_form(signed_in,
                                                                                staff):
    staff.patch("/cassettes/A", {"denomination": 20000, "reason": "new notes"})
    [row] = entries(text(signed_in.get(f"/console/terminals/{DEMO}/journal"
                                       "?kind=cassette_adjusted")))
    changes = re.sub(r"<[^>]+>", "", row.split('class="change"')[1])
    assert "denomination: CZK\u00a0100 → CZK\u00a0200" in changes
    assert "count" not in changes             # unchanged fields are left out
    assert not re.search(r'[{}"]|\\u|10000|20000', changes)


def test_a_dispense_entry_shows_its_money_formatted(signed_in, kiosk):
    quote = kiosk.quote(150000, {"kind": "counts", "counts": {"100000": 1, "50000": 1}})
    assert kiosk.dispense(quote.get_json()).status_code == 201
    page = text(signed_in.get(f"/console/terminals/{DEMO}/journal?kind=dispense_finished"))
    [row] = entries(page)
    flat = re.sub(r"<[^>]+>", "", row)
    assert "dispensed: — → CZK\u00a01,500" in flat and "shortfall: — → CZK\u00a00" in flat
    assert "notes › D: denomination CZK\u00a01,000, planned 1" in flat
    assert "150000" not in flat and "{" not in flat


def test_a_long_entry_is_folded_and_its_text_is_not_escaped(signed_in):
    page = text(signed_in.get(f"/console/terminals/{DEMO}/journal?kind=terminal_imported"))
    [row] = entries(page)
    folded = re.search(r"<details><summary>(.*?)</summary>(.*?)</details>", row, flags=re.S)
    assert folded and folded[1].startswith(tuple("0123456789"))
    flat = re.sub(r"<[^>]+>", "", folded[2])
    assert "name: Demo kiosk, Praha hlavní nádraží" in flat
    assert "cassettes › A › denomination: CZK\u00a0100" in flat
    assert "\\u" not in row and "{" not in flat


def test_the_kind_filter_offers_every_kind_and_refuses_others(signed_in, kiosk):
    from kiosk_service.records import JOURNAL_KINDS

    page = text(signed_in.get(f"/console/terminals/{DEMO}/journal"))
    offered = re.findall(r'<option value="([a-z_]+)"', page)
    assert set(JOURNAL_KINDS) <= set(offered) and "dispense_started" in offered
    quote = kiosk.quote(100000, {"kind": "fewest"}).get_json()
    assert kiosk.dispense(quote).status_code == 201
    started = text(signed_in.get(f"/console/terminals/{DEMO}/journal?kind=dispense_started"))
    assert len(entries(started)) == 1
    bogus = signed_in.get(f"/console/terminals/{DEMO}/journal?kind=bogus")
    assert bogus.status_code == 422 and 'id="kind-problem"' in text(bogus)


def test_the_journal_pages_fifty_entries_at_a_time(signed_in, staff):
    for n in range(52):
        assert staff.patch("/cassettes/A", {"count": 500 + n, "reason": f"count {n}"}
                           ).status_code == 200
    total = staff.get("/journal?page_size=1").get_json()["total"]
    path = f"/console/terminals/{DEMO}/journal"
    first = text(signed_in.get(path))
    assert len(entries(first)) == 50 and "count 51" in entries(first)[0]
    assert 'rel="next"' in first and 'rel="prev"' not in first
    assert f"page 1 of {-(-total // 50)}" in first
    second = text(signed_in.get(f"{path}?page=2"))
    assert len(entries(second)) == total - 50 and 'rel="prev"' in second
    assert "count 1" in second and "count 2<" not in second


def test_save_policy_is_disabled_for_staff_and_says_why(signed_in):
    page = text(signed_in.get(f"/console/terminals/{DEMO}/policy"))
    button = re.search(r"<button[^>]*>Save policy</button>", page)[0]
    assert " disabled" in button and 'aria-describedby="save-why"' in button
    assert re.search(r'id="save-why"[^>]*>Only an admin key can change the policy', page)


def test_save_policy_is_enabled_for_an_admin(console, keys):
    console.sign_in(keys["admin"])
    page = text(console.get(f"/console/terminals/{DEMO}/policy"))
    button = re.search(r"<button[^>]*>Save policy</button>", page)[0]
    assert "disabled" not in button and 'id="save-why"' not in page
