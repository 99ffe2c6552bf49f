"""The console's fleet page and load recommendation in headless Chromium against a real
`kiosk-service serve`: sort and filter the fleet, then take a recommended load into the
replenish form and confirm it with the typed total."""

from __future__ import annotations

import re
import tomllib

import pytest
from playwright.sync_api import expect

from kiosk_service import create_app
from kiosk_service.records import Role
from kiosk_service.services.keys import create_key
from kiosk_service.services.terminals import import_terminal
from kiosk_service.terminal_files import parse_terminal
from tests.e2e.conftest import TERMINALS, Http
from tests.e2e.test_console_browser import sign_in, withdraw
from tests.e2e.test_kiosk_page import axe_violations

DEMO = "demo-czk"
FACE = {"A": 100, "B": 200, "C": 500, "D": 1000, "E": 2000, "F": 5000}    # CZK per note


@pytest.fixture
def fleet(server, database):
    """Return (base URL, kiosk key, staff key, unscoped staff key): the demo terminal and six
    copies, atm-00 to atm-05, half in brno, half in praha; atm-02 nearly empty."""
    url, kiosk, staff = database
    app = create_app({"DATABASE_URL": url, "RECOVER_ON_START": False, "LOG_LEVEL": "WARNING"})
    deps = app.extensions["cashmix"]
    source = (TERMINALS / "demo-czk.toml").read_text(encoding="utf-8")
    for n in range(6):
        data = tomllib.loads(source) | {"id": f"atm-{n:02d}",
                                        "region": "brno" if n % 2 else "praha"}
        if n == 2:
            data["cassettes"][3] |= {"count": 3}
        import_terminal(parse_terminal(data), uow=deps.unit_of_work(), clock=deps.clock)
    everyone = create_key(Role.STAFF, None, uow=deps.unit_of_work(), clock=deps.clock)
    deps.close()
    # A small planner: two loads tried on three days of history.
    http = server.start(CASHMIX_CONSOLE_PLAN_TRIALS="2", CASHMIX_CONSOLE_PLAN_DAYS="3")
    return http.base, kiosk, staff, everyone


def rows(page) -> list[str]:
    return [id.removeprefix("terminal-") for id in
            page.locator("table.fleet tbody tr").evaluate_all("rs => rs.map(r => r.id)")]


def test_staff_sort_and_filter_the_fleet(page, fleet, screenshot):
    base, kiosk, _, everyone = fleet
    withdraw(base, kiosk, 150000)
    sign_in(page, base, everyone)
    expect(page).to_have_url(f"{base}/console/terminals")
    assert rows(page) == [f"atm-{n:02d}" for n in range(6)] + [DEMO]
    expect(page.locator("#terminal-atm-02 .warnings")).to_contain_text("D low")
    assert axe_violations(page) == []

    page.get_by_label("Sort by", exact=True).select_option(label="lowest fill")
    page.get_by_role("button", name="Show").click()
    assert rows(page)[0] == "atm-02"
    page.get_by_label("Sort by", exact=True).select_option(label="soonest empty")
    page.get_by_role("button", name="Show").click()
    assert rows(page)[0] == DEMO
    expect(page.locator(f"#terminal-{DEMO} .runs-out")).not_to_contain_text("no recent demand")

    page.get_by_label("Region", exact=True).select_option("brno")
    page.get_by_label("Sort by", exact=True).select_option(label="region")
    page.get_by_role("button", name="Show").click()
    assert rows(page) == ["atm-01", "atm-03", "atm-05"]
    expect(page.locator("#fleet-count")).to_contain_text("3 terminals in brno")
    screenshot("console-fleet")
    assert axe_violations(page) == []


def test_staff_take_a_recommended_load_into_the_replenish_form(page, fleet):
    base, kiosk, staff, _ = fleet
    for value in (350000, 200000, 150000, 500000, 100000, 250000):
        withdraw(base, kiosk, value)
    for cid in FACE:            # empty before the cash run (every load is at least 1 note)
        status, _, _ = Http(base, staff).call("PATCH", f"/api/v1/terminals/{DEMO}/cassettes/{cid}",
                                              {"count": 0, "reason": "count before the visit"})
        assert status == 200
    sign_in(page, base, staff)
    page.get_by_role("button", name="Recommend the next load").click()
    expect(page.locator("#recommended")).to_be_visible(timeout=120_000)
    expect(page.locator("#expected")).to_contain_text("recommended load")
    assert axe_violations(page) == []
    to_load = {cid: int(page.locator(f"#recommended-{cid} .add").inner_text().lstrip("+"))
               for cid in FACE}
    assert any(to_load.values()), page.locator("#recommended").inner_text()

    page.get_by_role("link", name="Use in the replenish form").click()
    expect(page.locator("#prefilled")).to_be_visible()
    for cid, notes in to_load.items():
        expect(page.get_by_label(cid, exact=True)).to_have_value(str(notes) if notes else "")
    expect(page.get_by_label("Total value loaded (CZK)")).to_have_value("")
    assert axe_violations(page) == []
    total = sum(notes * FACE[cid] for cid, notes in to_load.items())
    page.get_by_label("Total value loaded (CZK)").fill(str(total))
    page.get_by_role("button", name="Check").click()
    page.get_by_role("button", name="Confirm replenishment").click()
    expect(page.get_by_role("status")).to_contain_text("Replenished")
    for cid, notes in to_load.items():
        count = page.locator(f"#cassette-{cid} .count")
        expect(count).to_have_text(re.compile(rf"^{notes} / \d+$"))
