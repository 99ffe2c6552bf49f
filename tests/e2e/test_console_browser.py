"""The staff console in headless Chromium against a real `kiosk-service serve`: sign in,
replenish with the double-entry check, see the journal and the new count over the HTTP API."""

from __future__ import annotations

import json
import re
import time
import urllib.request

import pytest
from playwright.sync_api import expect

from kiosk_service.services.authorization import sign
from tests.e2e.conftest import SECRET, Http
from tests.e2e.test_kiosk_page import axe_violations

DEMO = "demo-czk"


@pytest.fixture
def console(server, database):
    """Return (base URL, kiosk key, staff key) of a running server."""
    http = server.start()
    _, kiosk, staff = database
    return http.base, kiosk, staff


def sign_in(page, base: str, key: str) -> None:
    page.goto(f"{base}/console/")
    page.get_by_label("Staff key").fill(key)
    page.get_by_role("button", name="Sign in").click()


def api_count(base: str, key: str, cassette: str) -> int:
    request = urllib.request.Request(f"{base}/api/v1/terminals/{DEMO}/cassettes/{cassette}",
                                     headers={"Authorization": f"Bearer {key}"})
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.loads(response.read())["count"]


def test_staff_replenish_and_see_the_journal_and_the_new_count(page, console, screenshot):
    base, _, staff = console
    sign_in(page, base, staff)
    expect(page).to_have_url(f"{base}/console/terminals/{DEMO}")
    expect(page.locator("#cassette-A")).to_contain_text("600 / 2000")
    screenshot("console-overview")

    page.get_by_role("link", name="Replenish").first.click()
    page.get_by_label("A", exact=True).fill("100")
    page.get_by_label("E", exact=True).fill("10")
    expect(page.locator("[data-sum]")).to_contain_text("CZK 30,000")
    page.get_by_label("Total value loaded (CZK)").fill("31000")
    page.get_by_role("button", name="Check").click()
    expect(page.locator("#total-problem")).to_contain_text("add up to CZK 30,000, not CZK 31,000")
    assert api_count(base, staff, "A") == 600

    page.get_by_label("Total value loaded (CZK)").fill("30000")
    page.get_by_label("Note for the journal (optional)").fill("Tuesday cash run")
    screenshot("console-replenish")
    page.get_by_role("button", name="Check").click()
    expect(page.locator("#before-after")).to_contain_text("600")
    expect(page.locator("#before-after")).to_contain_text("700")
    page.get_by_role("button", name="Confirm replenishment").click()
    expect(page.get_by_role("status")).to_contain_text("A 600 → 700")
    expect(page.locator("#cassette-A")).to_contain_text("700 / 2000")

    page.get_by_role("link", name="Journal").click()
    page.get_by_label("Kind").select_option("cassette_replenished")
    page.get_by_role("button", name="Filter").click()
    entries = page.locator("tr.entry")
    expect(entries).to_have_count(2)
    expect(entries.first).to_contain_text("Tuesday cash run")
    expect(entries.first).to_contain_text("staff:")
    assert api_count(base, staff, "A") == 700 and api_count(base, staff, "E") == 210


def test_a_cassette_goes_out_of_service_with_a_reason(page, console):
    base, _, staff = console
    sign_in(page, base, staff)
    page.locator("#cassette-B").get_by_role("link", name="Change…").click()
    page.get_by_label("Status").select_option("inoperative")
    page.get_by_role("button", name="Save change").click()
    expect(page.locator("#reason-problem")).to_be_visible()
    page.get_by_label("Reason").fill("notes stuck in the pick unit")
    page.get_by_role("button", name="Save change").click()
    expect(page.locator("#cassette-B")).to_have_class("inoperative")


def test_a_kiosk_key_cannot_sign_in(page, console):
    base, kiosk, _ = console
    sign_in(page, base, kiosk)
    expect(page.locator("#key-problem")).to_contain_text("cannot sign in")
    page.goto(f"{base}/console/terminals/{DEMO}")
    expect(page).to_have_url(f"{base}/console/sign-in?next=/console/terminals/{DEMO}")


def test_sign_out(page, console):
    base, _, staff = console
    sign_in(page, base, staff)
    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_role("status")).to_contain_text("signed out")
    page.goto(f"{base}/console/terminals/{DEMO}")
    expect(page.get_by_label("Staff key")).to_be_visible()


def withdraw(base: str, key: str, value: int) -> None:
    """Withdraw `value` (minor units) over the HTTP API, signed as the bank's host would."""
    kiosk = Http(base, key)
    status, quote, _ = kiosk.call("POST", f"/api/v1/terminals/{DEMO}/quotes",
                                  {"amount": {"value": value, "currency": "CZK"}})
    assert status == 201, quote
    expires = int(time.time()) + 120
    body = {"quote_id": quote["id"], "authorization": {
        "expires_at": expires,
        "signature": sign(SECRET, DEMO, quote["id"], value, "CZK", expires)}}
    status, dispense, _ = kiosk.call("POST", f"/api/v1/terminals/{DEMO}/dispenses", body,
                                     {"Idempotency-Key": f"journal-{quote['id']}"})
    assert status == 201, dispense


def test_the_journal_reads_newest_first_in_words_with_every_kind(page, console):
    base, kiosk, staff = console
    withdraw(base, kiosk, 150000)
    status, _, _ = Http(base, staff).call("PATCH", f"/api/v1/terminals/{DEMO}/cassettes/A",
                                          {"count": 599, "reason": "recount after a withdrawal"})
    assert status == 200
    sign_in(page, base, staff)
    page.get_by_role("link", name="Journal").click()

    entries = page.locator("tr.entry")
    expect(entries.first).to_contain_text("recount after a withdrawal")
    expect(entries.first).to_contain_text("count: 600 → 599")
    expect(entries.last).to_contain_text("terminal imported")
    table = page.locator("table.journal").inner_text()
    assert not re.search(r"[{}]|\\u[0-9a-f]{4}|150000", table)
    assert axe_violations(page) == []

    imported = entries.last.locator("details")
    cassette = imported.get_by_text(re.compile("cassettes › A › denomination: CZK.100$"))
    expect(cassette).to_be_hidden()                  # the long entry starts folded
    imported.locator("summary").click()
    expect(cassette).to_be_visible()

    kinds = page.get_by_label("Kind").locator("option").all_inner_texts()
    assert {"dispense started", "dispense finished", "cassette adjusted"} <= set(kinds)
    page.get_by_label("Kind").select_option("dispense_finished")
    page.get_by_role("button", name="Filter").click()
    expect(entries).to_have_count(1)
    entries.first.locator("summary").click()
    expect(entries.first).to_contain_text("dispensed: — → CZK\u00a01,500")


LOOK = """e => { const s = getComputedStyle(e);
                 return {background: s.backgroundColor, cursor: s.cursor,
                         border: s.borderTopStyle}; }"""


def test_save_policy_looks_disabled_for_staff_and_says_why(page, console):
    base, _, staff = console
    sign_in(page, base, staff)
    page.get_by_role("link", name="Replenish").first.click()
    active = page.get_by_role("button", name="Check").evaluate(LOOK)
    page.get_by_role("link", name="Policy").click()

    save = page.get_by_role("button", name="Save policy")
    expect(save).to_be_disabled()
    expect(save).to_have_accessible_description("Only an admin key can change the policy.")
    look = save.evaluate(LOOK)
    assert look["background"] != active["background"]
    assert (look["cursor"], look["border"]) == ("not-allowed", "dashed")
    why, button = page.locator("#save-why").bounding_box(), save.bounding_box()
    assert why["x"] > button["x"] + button["width"]          # beside the button, on its line
    assert why["y"] < button["y"] + button["height"] and button["y"] < why["y"] + why["height"]
    assert axe_violations(page) == []
