"""The staff console in headless Chromium against a real `kiosk-service serve`: sign in,
replenish with the double-entry check, see the journal and the new count over the HTTP API."""

from __future__ import annotations

import json
import urllib.request

import pytest
from playwright.sync_api import expect

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
    expect(page.locator("[data-sum]")).to_contain_text("30,000 CZK")
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
