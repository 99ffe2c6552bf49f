"""The console's ledger line, fleet page and load recommendation, through the Flask test client."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import event, update

from kiosk_service.persistence.tables import CassetteRow
from tests.service.conftest import Console, import_fleet, token
from tests.service.test_console_pages import text

DEMO = "demo-czk"
FACE = {"A": 100, "B": 200, "C": 500, "D": 1000, "E": 2000, "F": 5000}    # CZK per note


@pytest.fixture
def app(make_app):
    # A small planner: two loads tried on three days of history (seconds, not a minute).
    return make_app(CONSOLE_PLAN_TRIALS=2, CONSOLE_PLAN_DAYS=3)


def _pay(kiosk, amounts):
    for n, value in enumerate(amounts):
        quote = kiosk.quote(value).get_json()
        assert kiosk.dispense(quote, key=f"fleet-{n}").status_code == 201


def test_the_overview_says_the_ledger_balances(signed_in, kiosk):
    _pay(kiosk, [120000])
    page = text(signed_in.get(f"/console/terminals/{DEMO}"))
    line = re.search(r'<section id="ledger" class="ledger balances"[^>]*>\s*<p>([^<]*)</p>',
                     page)
    assert line and line[1].startswith(f"Ledger balances: {DEMO}: ")
    assert "1 dispenses" in line[1] and "0 discrepancies" in line[1]


def test_the_overview_lists_each_discrepancy(signed_in, kiosk, app):
    _pay(kiosk, [120000])
    with app.extensions["cashmix"].engine.begin() as connection:
        connection.execute(update(CassetteRow).where(CassetteRow.terminal_id == DEMO,
                                                     CassetteRow.id == "A")
                           .values(count=CassetteRow.count - 3))
    page = text(signed_in.get(f"/console/terminals/{DEMO}"))
    found = re.search(r'class="ledger discrepancies".*?<summary>Ledger: (\d+) discrepanc'
                      r'(?:y|ies)</summary>\s*<ul>(.*?)</ul>', page, re.S)
    assert found, page
    items = re.findall(r"<li>(.*?)</li>", found[2])
    assert int(found[1]) == len(items) >= 2
    assert any(item.startswith("Cassette A: the journal explains") for item in items)


def _rows(page: str) -> list[str]:
    return re.findall(r'<tr id="terminal-([^"]+)"', page)


@pytest.fixture
def fleet_console(app, clock, new_key):
    import_fleet(app, clock, 12)
    console = Console(app.test_client())
    assert console.sign_in(new_key(app, "staff", None)).status_code == 302
    return console


def test_an_unscoped_key_lands_on_the_fleet_sorted_by_id(fleet_console):
    assert fleet_console.get("/console/").location.endswith("/console/terminals")
    page = text(fleet_console.get("/console/terminals"))
    assert _rows(page) == [*(f"atm-{n:02d}" for n in range(12)), DEMO, "vienna-eur"]
    assert "14 terminals." in page
    row = re.search(r'<tr id="terminal-atm-04" class="terminal low">(.*?)</tr>', page, re.S)[1]
    assert re.search(r'<span class="warning low"[^>]*>A low</span>', row)
    assert re.search(r'<meter [^>]*value="10" aria-label="A: 10 × 100, 0% full"', row)
    assert 'class="runs-out"><span class="muted">no recent demand' in row


def test_the_fleet_sorts_by_lowest_fill_soonest_empty_and_region(fleet_console, kiosk):
    by_fill = _rows(text(fleet_console.get("/console/terminals?sort=fill")))
    assert by_fill[0] == "atm-04" and len(by_fill) == 14
    _pay(kiosk, [350000, 200000])
    by_empty = text(fleet_console.get("/console/terminals?sort=empty"))
    assert _rows(by_empty)[0] == DEMO
    first = re.search(rf'<tr id="terminal-{DEMO}".*?class="runs-out">(.*?)</td>', by_empty,
                      re.S)[1]
    assert re.search(r"[A-F] (in about \d+ days|within a day)", first)
    by_region = _rows(text(fleet_console.get("/console/terminals?sort=region")))
    assert by_region == ["atm-00", "atm-03", "atm-06", "atm-09",
                         "atm-01", "atm-02", "atm-04", "atm-05", "atm-07", "atm-08", "atm-10",
                         "atm-11", DEMO, "vienna-eur"]


def test_the_fleet_filters_by_region_and_offers_the_regions(fleet_console):
    page = text(fleet_console.get("/console/terminals?region=brno&sort=fill"))
    assert _rows(page) == ["atm-00", "atm-03", "atm-06", "atm-09"]
    assert "4 terminals in brno." in page
    assert re.findall(r'<option value="(brno|praha)"', page) == ["brno", "praha"]
    assert '<option value="brno" selected>' in page
    bad = fleet_console.get("/console/terminals?sort=bogus&page=x")
    assert bad.status_code == 422
    assert 'id="sort-problem"' in text(bad) and 'id="page-problem"' in text(bad)


def test_a_terminal_bound_key_sees_only_its_terminal_in_the_fleet(signed_in, app, clock):
    import_fleet(app, clock, 3)
    page = text(signed_in.get("/console/terminals"))
    assert _rows(page) == [DEMO] and "1 terminal." in page
    assert _rows(text(signed_in.get("/console/terminals?region=brno"))) == []


def test_the_fleet_pages_fifty_at_a_time_in_a_few_statements(app, clock, new_key):
    import_fleet(app, clock, 55)
    console = Console(app.test_client())
    assert console.sign_in(new_key(app, "admin", None)).status_code == 302
    statements = []
    engine = app.extensions["cashmix"].engine

    def count(connection, cursor, statement, *args):
        if statement.strip() != "BEGIN":
            statements.append(statement)

    event.listen(engine, "before_cursor_execute", count)
    try:
        per_page = {}
        for query in ("?sort=empty", "?sort=empty&page=2", "?region=brno", "?sort=id&page=2"):
            statements.clear()
            page = text(console.get(f"/console/terminals{query}"))
            per_page[query] = (len(statements), _rows(page))
    finally:
        event.remove(engine, "before_cursor_execute", count)
    assert len(per_page["?sort=empty"][1]) == 50
    assert per_page["?sort=empty&page=2"][1] == ["atm-50", "atm-51", "atm-52", "atm-53",
                                                 "atm-54", DEMO, "vienna-eur"]
    assert len(per_page["?region=brno"][1]) == 19
    assert per_page["?sort=id&page=2"][1] == per_page["?sort=empty&page=2"][1]
    # the same few statements whatever the number of terminals on the page
    assert len({n for n, _ in per_page.values()}) == 1
    # the signed-in key; count, terminals, cassettes; notes picked; regions
    assert per_page["?region=brno"][0] == 6


def _recommend(console, tid: str = DEMO):
    overview = console.get(f"/console/terminals/{tid}")
    form = re.search(r'<form method="post" action="([^"]+)"[^>]*data-busy', text(overview))
    assert form and form[1] == f"/console/terminals/{tid}/recommendation"
    return console.client.post(form[1], data={"csrf_token": token(overview)})


def test_the_recommendation_needs_the_csrf_token(signed_in):
    assert signed_in.client.post(f"/console/terminals/{DEMO}/recommendation").status_code == 400
    assert signed_in.client.get(f"/console/terminals/{DEMO}/recommendation").status_code == 405


def test_a_terminal_without_dispenses_gets_a_sentence_not_a_load(signed_in):
    response = _recommend(signed_in)
    page = text(response)
    assert response.status_code == 200 and 'id="no-history"' in page
    assert "no dispenses recorded" in page and 'id="recommended"' not in page


def test_the_recommendation_shows_each_cassette_and_fills_the_replenish_form(
        signed_in, recorded, counts, staff):
    for cid in "ABCDEF":         # empty before the visit (every load is at least 1 note)
        assert staff.patch(f"/cassettes/{cid}", {"count": 0, "reason": "count"}).status_code \
            == 200
    response = _recommend(signed_in)
    page = text(response)
    assert response.status_code == 200, page
    assert f"From {recorded} dispenses" in page
    now = counts()
    found = re.findall(r'<tr id="recommended-(\w)">.*?<td class="load">(\d+) → '
                       r'<strong>(\d+)</strong>.*?<td class="add">\+(\d+)</td>', page, re.S)
    rows = {cid: (int(current), int(load), int(add)) for cid, current, load, add in found}
    assert set(rows) == set(now) == set("ABCDEF")
    for cid, (current, load, add) in rows.items():
        assert current >= now[cid] and load >= 1 and add == max(0, load - now[cid])
    expected = re.search(r'<table id="expected">(.*?)</table>', page, re.S)[1]
    assert "current load" in expected and "recommended load" in expected
    assert len(re.findall(r"<td>\d+\.\d</td><td>\d+\.\d\d%</td><td>CZK", expected)) == 2

    link = re.search(r'id="use-recommendation" href="([^"]+)"', page)
    to_load = {cid: add for cid, (_, _, add) in rows.items() if add}
    assert link and to_load
    form = signed_in.get(link[1].replace("&amp;", "&"))
    filled = text(form)
    assert form.status_code == 200 and 'id="prefilled"' in filled
    for cid in "ABCDEF":
        value = re.search(rf'name="loaded\.{cid}"[^>]*value="([^"]*)"', filled)[1]
        assert value == (str(to_load[cid]) if cid in to_load else "")
    assert re.search(r'id="total" name="total"[^>]*value=""', filled)   # staff type the total
    total = sum(n * FACE[cid] for cid, n in to_load.items())
    submitted = signed_in.post(f"/console/terminals/{DEMO}/replenish",
                               {f"loaded.{cid}": str(n) for cid, n in to_load.items()}
                               | {"total": str(total + 100)})
    assert submitted.status_code == 422 and 'id="total-problem"' in text(submitted)


def test_the_replenish_form_ignores_bad_or_unknown_query_counts(signed_in):
    page = text(signed_in.get(f"/console/terminals/{DEMO}/replenish"
                              "?loaded.A=12&loaded.B=x&loaded.Z=5&loaded.C=-3&total=999"))
    assert re.search(r'name="loaded\.A"[^>]*value="12"', page)
    for cid in "BC":
        assert re.search(rf'name="loaded\.{cid}"[^>]*value=""', page)
    assert "loaded.Z" not in page and re.search(r'id="total" name="total"[^>]*value=""', page)
