"""The reference kiosk page in Debian's Chromium against a real `kiosk-service serve`."""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import pytest

from kiosk_service import create_app
from kiosk_service.services.terminals import import_terminal
from kiosk_service.terminal_files import load_terminal_file
from tests.e2e.conftest import TERMINALS, Http

AXE = Path(__file__).resolve().parents[2] / "node_modules" / "axe-core" / "axe.min.js"
DEMO = "demo-czk"
VIEWPORTS = {"landscape-1024": (1024, 768), "landscape-1920": (1920, 1080),
             "portrait-768": (768, 1024), "portrait-1080": (1080, 1920)}


def start_kiosk(server, database, *, sim: str = "sim://?seed=7&pace=0", take_timeout: int = 30,
                page_take_seconds: int = 30) -> tuple[str, Http]:
    """Start the server in demo mode; return the kiosk page's URL and a staff client."""
    _, kiosk, staff = database
    http = server.start(CASHMIX_KIOSK_DEMO="true", CASHMIX_KIOSK_DEMO_KEY=kiosk,
                        CASHMIX_DISPENSERS=f'{{{DEMO} = "{sim}"}}',
                        CASHMIX_TAKE_TIMEOUT_SECONDS=str(take_timeout),
                        CASHMIX_KIOSK_TAKE_SECONDS=str(page_take_seconds))
    return f"{http.base}/kiosk/{DEMO}", Http(http.base, staff)


def open_kiosk(page, url: str) -> None:
    page.goto(url)
    page.wait_for_selector("body[data-ready=true]")


def choose_amount(page, value: int) -> None:
    page.click(f"#quick button[data-value='{value}']")
    page.wait_for_selector("#options .option >> nth=1")


def patch_cassette(staff: Http, cid: str, **change) -> None:
    status, body, _ = staff.call("PATCH", f"/api/v1/terminals/{DEMO}/cassettes/{cid}",
                                 change | {"reason": "kiosk page test"})
    assert status == 200, body


def outcome(page) -> str:
    page.wait_for_selector("#result-heading[data-outcome]", timeout=60_000)
    return page.get_attribute("#result-heading", "data-outcome")


def text(page, selector: str) -> str:
    """Return the element's text, Intl's no-break spaces read as spaces."""
    return page.inner_text(selector).replace("\u00a0", " ").replace("\u202f", " ")


def axe_violations(page) -> list[dict]:
    if not AXE.exists():
        # CI installs axe-core, so there a missing copy is a failure, not a quiet skip.
        missing = "axe-core is missing: run `npm ci` at the repository root"
        pytest.fail(missing) if os.environ.get("CI") else pytest.skip(missing)
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        # Evaluated rather than added as a <script>: the page's CSP refuses inline script.
        page.evaluate(AXE.read_text())
    found = page.evaluate("axe.run(document, {resultTypes: ['violations']})")["violations"]
    return [{"id": v["id"], "help": v["help"], "nodes": [n["target"] for n in v["nodes"]]}
            for v in found]


def test_customer_takes_2000_czk_as_a_mixed_option(page, server, database, screenshot):
    url, staff = start_kiosk(server, database)
    open_kiosk(page, url)
    screenshot("kiosk-amount")
    choose_amount(page, 200000)
    screenshot("kiosk-mix")
    page.get_by_role("button", name=re.compile("A bit of everything")).click()
    page.wait_for_selector("#screen-confirm:not([hidden])")
    mixed = ["1 × CZK 1,000", "1 × CZK 500", "2 × CZK 200", "1 × CZK 100"]
    assert [t.replace("\u00a0", " ") for t in
            page.locator("#confirm-tiles li").all_inner_texts()] == mixed
    screenshot("kiosk-confirm")
    page.click("#dispense")

    assert outcome(page) == "done"
    # One order everywhere: the result lists the notes largest first, as the confirm screen.
    assert text(page, "#result-text") == f"You received CZK 2,000: {', '.join(mixed)}."
    # A function, not an expression string: the page's CSP refuses eval.
    page.wait_for_function("() => document.getElementById('live').textContent.includes('Done')")
    screenshot("kiosk-done")
    _, terminal, _ = staff.call("GET", f"/api/v1/terminals/{DEMO}")
    counts = {c["denomination"]: c["count"] for c in terminal["cassettes"]}
    assert counts[100000] == 299 and counts[200000] == 200


def test_own_mix_the_cassettes_cannot_meet_is_explained_with_an_alternative(
        page, server, database, screenshot):
    url, staff = start_kiosk(server, database)
    patch_cassette(staff, "D", count=1)          # one 1000 CZK note left
    open_kiosk(page, url)
    choose_amount(page, 200000)
    page.click("#own-mix")
    more = page.get_by_role("button", name="One more CZK 1,000 note")
    more.click()
    page.wait_for_selector("#own-feedback >> text=Still to choose: CZK 1,000.")
    more.click()

    feedback = page.locator("#own-feedback")
    feedback.get_by_text("This mix cannot be paid").wait_for()
    explained = text(page, "#own-feedback")
    assert "only 1 x CZK 1,000 left" in explained and "Nearest mix we can pay" in explained
    assert page.is_disabled("#own-continue")
    assert feedback.get_attribute("aria-live") == "polite"
    screenshot("kiosk-own-mix")
    page.click("#use-alternative")
    page.wait_for_selector("#screen-confirm:not([hidden])")


def test_own_mix_is_previewed_without_holding_notes_and_held_on_continue(page, server,
                                                                        database):
    url, staff = start_kiosk(server, database)
    open_kiosk(page, url)
    choose_amount(page, 200000)
    page.click("#own-mix")
    more = page.get_by_role("button", name="One more CZK 1,000 note")
    for _ in range(2):
        more.click()
        page.wait_for_timeout(400)      # each pause asks the quotes endpoint for a preview
    page.locator("#own-feedback").get_by_text("can be paid").wait_for()
    _, cassette, _ = staff.call("GET", f"/api/v1/terminals/{DEMO}/cassettes/D")
    assert cassette["held"] == 0        # the previews held nothing
    page.click("#own-continue")
    page.wait_for_selector("#screen-confirm:not([hidden])")
    _, cassette, _ = staff.call("GET", f"/api/v1/terminals/{DEMO}/cassettes/D")
    assert cassette["held"] == 2
    page.click("#dispense")
    assert outcome(page) == "done"
    _, cassette, _ = staff.call("GET", f"/api/v1/terminals/{DEMO}/cassettes/D")
    assert cassette["count"] == 298 and cassette["held"] == 0


def test_an_amount_the_terminal_cannot_pay_cannot_be_chosen(page, server, database):
    url, staff = start_kiosk(server, database)
    for cid in ("C", "E", "F"):
        patch_cassette(staff, cid, count=0)
    patch_cassette(staff, "D", count=2)          # 40 notes at most: 2 x 1000 + 38 x 200 = 9600
    open_kiosk(page, url)

    assert page.is_disabled("#quick button[data-value='1000000']")
    assert "CZK 9,600" in text(page, "#largest")
    page.click("#quick button[data-value='1000000']", force=True)
    assert page.is_visible("#screen-amount")
    for digit in "10000":
        page.click(f"#keypad button[data-key='{digit}']")
    assert page.is_disabled("#amount-continue")
    assert "Nearest you can get: CZK 9,600." in text(page, "#amount-hint")
    page.keyboard.press("Enter")
    assert page.is_visible("#screen-amount")


def test_customer_who_walks_away_sees_the_retract(page, server, database, screenshot):
    url, _ = start_kiosk(server, database, sim="sim://?seed=7&pace=0&faults=no_take",
                         take_timeout=0, page_take_seconds=2)
    open_kiosk(page, url)
    choose_amount(page, 50000)
    page.locator("#options .option").first.click()
    page.click("#dispense")
    page.wait_for_selector("#result-heading >> text=Take your cash")

    assert outcome(page) == "retracted"
    assert "took it back" in text(page, "#result-text")
    screenshot("kiosk-retracted")


def test_a_jam_shows_the_partial_payout_honestly(page, server, database, screenshot):
    url, _ = start_kiosk(server, database, sim="sim://?seed=7&pace=0&faults=jam:B")
    open_kiosk(page, url)
    choose_amount(page, 200000)
    page.get_by_role("button", name=re.compile("A bit of everything")).click()
    page.click("#dispense")

    assert outcome(page) == "partial"
    said = text(page, "#result-text")
    assert "of CZK 2,000" in said and "returns the missing" in said
    screenshot("kiosk-partial")


def test_czech_strings_and_amounts_formatted_for_the_locale(page, server, database,
                                                             screenshot):
    url, _ = start_kiosk(server, database)
    open_kiosk(page, url)
    page.click("#language")

    assert page.get_attribute("html", "lang") == "cs"
    assert text(page, "#amount-heading") == "Zvolte částku"
    assert text(page, "#quick button[data-value='200000']") == "2 000 Kč"
    choose_amount(page, 200000)
    assert "Od každé trochu" in text(page, "#options")
    screenshot("kiosk-mix-cs")


def test_every_screen_has_no_axe_violations_in_landscape_and_portrait(page, server, database):
    url, staff = start_kiosk(server, database)
    patch_cassette(staff, "D", count=1)
    problems = {}
    for name, (width, height) in VIEWPORTS.items():
        page.set_viewport_size({"width": width, "height": height})
        open_kiosk(page, url)
        problems[f"{name}/amount"] = axe_violations(page)
        choose_amount(page, 200000)
        problems[f"{name}/mix"] = axe_violations(page)
        page.click("#own-mix")
        for _ in range(2):
            page.get_by_role("button", name="One more CZK 1,000 note").click()
        page.locator("#own-feedback").get_by_text("This mix cannot be paid").wait_for()
        problems[f"{name}/own"] = axe_violations(page)
        page.click("#use-alternative")
        page.wait_for_selector("#screen-confirm:not([hidden])")
        problems[f"{name}/confirm"] = axe_violations(page)
        page.click("#language")
        problems[f"{name}/confirm-cs"] = axe_violations(page)
    assert {where: found for where, found in problems.items() if found} == {}


def test_keyboard_alone_withdraws(page, server, database):
    url, _ = start_kiosk(server, database)
    open_kiosk(page, url)
    page.focus("#amount-input")
    page.keyboard.type("1500")
    page.keyboard.press("Enter")
    page.wait_for_selector("#options .option >> nth=1")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.className") == "option"
    page.keyboard.press("Enter")
    page.wait_for_selector("#screen-confirm:not([hidden])")
    page.focus("#dispense")
    page.keyboard.press("Enter")
    assert outcome(page) == "done"


def test_only_what_the_policy_offers_in_its_order(page, server, database, tmp_path):
    url = database[0]
    terminal = (TERMINALS / "demo-czk.toml").read_text().replace(
        'offered = ["fewest", "small", "mixed", "counts", "bounds", "options"]',
        'offered = ["mixed", "fewest", "options"]')
    assert 'offered = ["mixed", "fewest", "options"]' in terminal
    (tmp_path / "demo-czk.toml").write_text(terminal)
    app = create_app({"DATABASE_URL": url, "RECOVER_ON_START": False, "LOG_LEVEL": "WARNING"})
    deps = app.extensions["cashmix"]
    import_terminal(load_terminal_file(tmp_path / "demo-czk.toml"), uow=deps.unit_of_work(),
                    clock=deps.clock)
    deps.close()
    kiosk_url, _ = start_kiosk(server, database)
    open_kiosk(page, kiosk_url)
    choose_amount(page, 200000)

    labels = page.locator("#options .option strong").all_inner_texts()
    assert labels == ["A bit of everything", "Fewest notes"]
    assert page.is_hidden("#own-mix")


# ---- the screen never scrolls --------------------------------------------------------------

FIT_VIEWPORTS = {"landscape-1024": (1024, 768), "landscape-800": (800, 600),
                 "portrait-768": (768, 1024)}
# Chromium's default text size is 16 px; 32 px is a customer's 200 % text setting.
TEXT_SIZES = {"text-100": 16, "text-200": 32}
ALL_MIXES = {"Fewest notes", "Small notes", "Smallest notes", "A bit of everything",
             "No CZK 2,000 notes"}
# What the customer must be able to see and press on the current screen: the document does
# not scroll either way, every control and line of text lies inside the window, no box cuts
# off its text (scrollWidth <= clientWidth), and the screen's primary action is shown.
MISFITS = """(primary) => {
  const problems = [];
  const page = document.documentElement;
  if (page.scrollHeight > innerHeight) problems.push(`scrolls down to ${page.scrollHeight}`);
  if (page.scrollWidth > innerWidth) problems.push(`scrolls across to ${page.scrollWidth}`);
  const screen = document.querySelector("main > section:not([hidden])");
  const shown = (e) => e.getClientRects().length > 0 && !e.closest(".visually-hidden");
  const name = (e) => `${e.id ? "#" + e.id : e.tagName} "${e.textContent.trim().slice(0, 40)}"`;
  for (const e of [...screen.querySelectorAll("h2, p, button, input, li, output")]
      .filter(shown)) {
    const box = e.getBoundingClientRect();
    if (box.top < 0 || box.left < 0 || box.bottom > innerHeight || box.right > innerWidth) {
      problems.push(`${name(e)} is outside the window`);
    }
  }
  for (const e of [...screen.querySelectorAll(
      "#amount-hint, #options, .option, .option strong, .tile, button, .feedback p")]
      .filter(shown)) {
    if (e.scrollWidth > e.clientWidth || e.scrollHeight > e.clientHeight) {
      problems.push(`${name(e)} cuts off its text`);
    }
  }
  const action = document.querySelector(primary);
  if (!action || !shown(action)) problems.push(`${primary} is not shown`);
  return problems;
}"""


def set_text_size(page, pixels: int) -> None:
    """Set the browser's text size, as a customer does in Chromium's settings (Font size)."""
    page.context.new_cdp_session(page).send("Page.setFontSizes", {
        "fontSizes": {"standard": pixels, "fixed": round(pixels * 13 / 16)}})


def mix_pages(page) -> int:
    more = page.locator("#more-mixes")
    return int(re.search(r"/(\d+)\)", more.inner_text())[1]) if more.is_visible() else 1


def pick_mix(page, label: str) -> None:
    """Page through the mixes to the one labelled `label`, and pick it."""
    page.wait_for_selector("#options .option")
    for _ in range(mix_pages(page)):
        option = page.locator("#options .option", has_text=label)
        if option.count():
            option.click()
            page.wait_for_selector("#screen-confirm:not([hidden])")
            return
        page.click("#more-mixes")
    pytest.fail(f"no mix {label!r} on any page")


@pytest.mark.parametrize("text_size", TEXT_SIZES.values(), ids=TEXT_SIZES)
@pytest.mark.parametrize("viewport", FIT_VIEWPORTS.values(), ids=FIT_VIEWPORTS)
def test_every_screen_fits_the_window_without_scrolling(page, server, database, viewport,
                                                       text_size):
    """WCAG reflow on an ATM: every screen at 1024x768, 800x600 and 768x1024, at the browser's
    default text size and at 200 % (the browser's text-size setting, emulated through the
    DevTools protocol's Page.setFontSizes, so `em` media queries see it as a customer's would).
    """
    url, _ = start_kiosk(server, database)
    width, height = viewport
    page.set_viewport_size({"width": width, "height": height})
    set_text_size(page, text_size)
    open_kiosk(page, url)
    misfits = {}

    def check(where: str, primary: str) -> None:
        misfits[where] = page.evaluate(MISFITS, primary)
        if text_size > 16:
            misfits[f"{where} (axe)"] = axe_violations(page)

    if page.is_visible("#show-keypad"):         # little room: the keypad is a view of its own
        check("amount", "#show-keypad")
        page.click("#show-keypad")
    for digit in "150":
        page.click(f"#keypad button[data-key='{digit}']")
    assert "CZK 150 cannot be paid now" in text(page, "#amount-hint")
    check("amount, not payable", "#amount-continue")
    page.click("#keypad button[data-key='clear']")
    for digit in "2000":
        page.click(f"#keypad button[data-key='{digit}']")
    check("amount, payable", "#amount-continue")
    page.click("#amount-continue")

    page.wait_for_selector("#options .option")
    seen = set()
    for number in range(1, mix_pages(page) + 1):
        check(f"mixes, page {number}", "#options .option")
        seen |= set(page.locator("#options .option strong").all_inner_texts())
        if page.is_visible("#more-mixes"):
            page.click("#more-mixes")
    assert {label.replace("\u00a0", " ") for label in seen} == ALL_MIXES

    page.click("#own-mix")
    more = page.get_by_role("button", name="One more CZK 1,000 note")
    more.click()
    page.wait_for_selector("#use-alternative:not([hidden])")
    check("own mix, nearest mix offered", "#use-alternative")
    more.click()
    page.locator("#own-feedback").get_by_text("can be paid").wait_for()
    check("own mix, payable", "#own-continue")
    page.click("#own-continue")

    page.wait_for_selector("#screen-confirm:not([hidden])")
    check("confirm", "#dispense")
    # Hold the service's answers about the dispense, to look at the screen while it waits.
    held = []
    page.route("**/dispenses**", lambda route: held.append(route))

    def while_held(phase: str) -> None:
        page.wait_for_selector(f"#result-heading >> text={phase}")
        for _ in range(100):
            if held:
                break
            page.wait_for_timeout(50)
        check(phase, "#result-text")
        held.pop().continue_()

    page.click("#dispense")
    while_held("Please wait")
    assert outcome(page) == "done"
    check("done", "#again")

    server.stop()                                # the next customer walks away
    url, _ = start_kiosk(server, database, sim="sim://?seed=7&pace=0&faults=no_take",
                         take_timeout=0, page_take_seconds=2)
    open_kiosk(page, url)
    page.click("#quick button[data-value='200000']")
    pick_mix(page, "A bit of everything")
    page.click("#dispense")
    while_held("Please wait")
    while_held("Take your cash")
    page.unroute("**/dispenses**")
    assert outcome(page) == "retracted"
    check("cash taken back", "#again")
    assert {where: found for where, found in misfits.items() if found} == {}


# ---- browsing holds nothing ----------------------------------------------------------------

def import_offering(database, tmp_path, offered: list[str]) -> None:
    """Re-import the demo terminal with a policy offering `offered`."""
    terminal = (TERMINALS / "demo-czk.toml").read_text().replace(
        'offered = ["fewest", "small", "mixed", "counts", "bounds", "options"]',
        f"offered = {json.dumps(offered)}")
    assert f"offered = {json.dumps(offered)}" in terminal
    (tmp_path / "demo-czk.toml").write_text(terminal)
    app = create_app({"DATABASE_URL": database[0], "RECOVER_ON_START": False,
                      "LOG_LEVEL": "WARNING"})
    deps = app.extensions["cashmix"]
    import_terminal(load_terminal_file(tmp_path / "demo-czk.toml"), uow=deps.unit_of_work(),
                    clock=deps.clock)
    deps.close()


def held_notes(staff: Http) -> dict[str, int]:
    status, cassettes, _ = staff.call("GET", f"/api/v1/terminals/{DEMO}/cassettes")
    assert status == 200, cassettes
    return {c["id"]: c["held"] for c in cassettes if c["held"]}


@pytest.mark.parametrize("offered, pick, wish, held", [
    (["fewest", "small", "mixed", "counts", "bounds", "options"], "No CZK 2,000 notes",
     {"kind": "bounds", "exclude": [200000]}, {"D": 2}),
    (["fewest", "small", "mixed"], "Small notes", {"kind": "small", "max_notes": 15},
     {"B": 10}),
], ids=["options-menu", "one-preview-per-kind"])
def test_browsing_the_mixes_holds_nothing_and_the_pick_holds_one_quote(
        page, server, database, tmp_path, offered, pick, wish, held):
    import_offering(database, tmp_path, offered)
    url, staff = start_kiosk(server, database)
    asked = []
    page.on("request", lambda r: asked.append(r.post_data_json)
            if r.method == "POST" and r.url.endswith("/quotes") else None)
    open_kiosk(page, url)
    choose_amount(page, 200000)

    assert asked and [body["hold"] for body in asked] == [False] * len(asked)
    assert held_notes(staff) == {}
    page.get_by_role("button", name=re.compile(pick)).click()
    page.wait_for_selector("#screen-confirm:not([hidden])")
    holds = [body["preference"] for body in asked if body["hold"]]
    assert holds == [wish]          # the picked mix's own wish, as the service stated it
    assert held_notes(staff) == held


# ---- my own mix ----------------------------------------------------------------------------

def test_own_mix_offers_no_note_the_amount_has_no_room_for(page, server, database):
    url, _ = start_kiosk(server, database)
    open_kiosk(page, url)
    choose_amount(page, 100000)
    page.click("#own-mix")

    offered = page.locator("#own-rows .stepper").evaluate_all(
        "rows => rows.map(row => row.getAttribute('aria-label'))")
    assert [row.replace("\u00a0", " ") for row in offered] == [
        "CZK 1,000 notes", "CZK 500 notes", "CZK 200 notes", "CZK 100 notes"]
    more = {note: page.get_by_role("button", name=f"One more CZK {note} note")
            for note in ("1,000", "500", "200", "100")}
    assert [button.is_enabled() for button in more.values()] == [True] * 4
    more["500"].click()
    assert [button.is_enabled() for button in more.values()] == [False, True, True, True]
    more["500"].click()
    assert [button.is_enabled() for button in more.values()] == [False] * 4
    page.locator("#own-feedback").get_by_text("can be paid").wait_for()
