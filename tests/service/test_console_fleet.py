"""The console's ledger line, fleet page and load recommendation, through the Flask test client."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import update

from kiosk_service.persistence.tables import CassetteRow
from tests.service.test_console_pages import Console, text

DEMO = "demo-czk"


@pytest.fixture
def console(app):
    return Console(app.test_client())


@pytest.fixture
def signed_in(console, keys):
    assert console.sign_in(keys["staff"]).status_code == 302
    return console


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
