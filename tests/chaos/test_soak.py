"""The soak's CI form: one minute of mixed traffic with device faults on SQLite (bench/soak.py
has the 10-minute and hour runs, on PostgreSQL too): no 5xx, no lock or timeout error, no
dropped connection, and the ledger check is clean."""

import io

import pytest

from bench.soak import run


@pytest.mark.soak
def test_one_minute_soak_on_sqlite_is_clean(tmp_path):
    out = io.StringIO()
    result = run("sqlite", 1, rate=3, seed=5, folder=tmp_path, out=out)
    assert result.failures == [], out.getvalue()
    assert result.total("5xx") == 0 and result.total("lock") == 0
    assert result.total("dropped") == 0 and result.total("4xx?") == 0
    assert result.audit_ok and result.tracebacks == 0
    assert sum(m.dispenses for m in result.minutes) > 0
    assert len(result.minutes) == 1 and result.minutes[0].server_rss > 0
