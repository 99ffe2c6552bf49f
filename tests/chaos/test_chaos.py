"""The crash campaign's short run: 20 kills of the service (and some of its XFS4IoT device)
on SQLite, the ledger check after every restart finds nothing (bench/chaos.py has the full
run, on PostgreSQL too)."""

import os

import pytest

from bench.chaos import run

POSTGRES_URL = os.environ.get("CASHMIX_TEST_DATABASE_URL")


def test_twenty_kills_on_sqlite_lose_no_note(tmp_path):
    figures = run("sqlite", 20, seed=11, folder=tmp_path, timer_max=0.6, round_requests=8)
    assert figures.discrepancies == []
    assert figures.kills == 20 and figures.audits >= 21
    assert figures.dispenses > 0 and figures.notes_moved > 0


@pytest.mark.skipif(not POSTGRES_URL, reason="needs CASHMIX_TEST_DATABASE_URL (a PostgreSQL "
                                              "server; .ci/run starts one)")
def test_ten_kills_on_postgresql_lose_no_note(tmp_path):
    server = POSTGRES_URL.rsplit("/", 1)[0]
    figures = run("postgresql", 10, seed=12, folder=tmp_path, pg_server=server, timer_max=0.6,
                  round_requests=8)
    assert figures.discrepancies == []
    assert figures.kills == 10
