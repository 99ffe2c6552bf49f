"""`kiosk-service serve --processes N`: gunicorn workers on the socket serve bound, one
start-up recovery, quotes answered by every worker; a dispenser inside the process refused."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from kiosk_service.persistence.database import normalise_url
from kiosk_service.records import Role
from kiosk_service.workers import workers_supported
from tests.e2e.conftest import (
    TERMINALS,
    Http,
    Server,
    database_url,
    dispensers,
    free_port,
    prepare_database,
    server_env,
)
from tests.xfs4iot.endpoint import endpoint_process

pytestmark = pytest.mark.skipif(not workers_supported(), reason="needs gunicorn (POSIX only)")
QUOTES = 120


def _prepare(url: str) -> str:
    """Migrate `url` with the demo terminal; return a kiosk key's secret."""
    return prepare_database(url, [TERMINALS / "demo-czk.toml"],
                            {"kiosk": (Role.KIOSK, "demo-czk")})["kiosk"]


def _env(url: str, device: str) -> dict[str, str]:
    return server_env(url, CASHMIX_DISPENSERS=dispensers({"demo-czk": device}))


def _cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _workers(pid: int) -> list[int]:
    children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    return [int(child) for child in children]


@pytest.mark.parametrize("kind", ["sqlite", "postgresql"])
def test_two_processes_answer_quotes_after_one_recovery(kind, tmp_path):
    url = database_url(kind, tmp_path)
    key = _prepare(url)
    engine = create_engine(normalise_url(url))
    with engine.begin() as connection:      # the books lack notes the device holds
        connection.execute(text("UPDATE cassettes SET count = count - 7 WHERE id = 'A'"))
    with endpoint_process(TERMINALS / "demo-czk.toml", dialect="2024-3") as (address, _):
        device = f"xfs4iot://{address}/xfs4iot/v1.0?dialect=2024-3&timeout=20"
        server = Server(_env(url, device), tmp_path / "server.log")
        http = server.start("--processes", "2")
        try:
            workers = _workers(server.process.pid)
            assert len(workers) == 2
            before = _idle(workers)
            client = Http(http.base, key)
            body = {"amount": {"value": 350000, "currency": "CZK"},
                    "preference": {"kind": "mixed"}, "hold": False}
            with ThreadPoolExecutor(8) as pool:
                statuses = list(pool.map(
                    lambda _: client.call("POST", "/api/v1/terminals/demo-czk/quotes",
                                          body)[0], range(QUOTES)))
            assert statuses == [201] * QUOTES
            busy = {pid: _cpu_seconds(pid) - before[pid] for pid in workers}
            assert all(seconds > 0.02 for seconds in busy.values()), busy   # both answered
        finally:
            server.stop()
    with engine.connect() as connection:
        adopted = connection.execute(text(
            "SELECT COUNT(*) FROM journal WHERE kind = 'cassette_adjusted' "
            "AND actor = 'recovery'")).scalar()
    engine.dispose()
    assert adopted == 1                      # start-up recovery ran, once, before the workers
    assert (tmp_path / "server.log").read_text().count("unrecorded load adopted") == 1


def test_a_dispenser_inside_the_process_refuses_several_processes(tmp_path):
    url = database_url("sqlite", tmp_path)
    _prepare(url)
    run = subprocess.run([sys.executable, "-m", "kiosk_service", "serve", "--processes", "2",
                          "--port", str(free_port())], env=_env(url, "sim://?seed=1&pace=0"),
                         capture_output=True, text=True, timeout=60)
    assert run.returncode == 1 and "Traceback" not in run.stderr
    lines = run.stderr.strip().splitlines()
    assert len(lines) == 1 and "demo-czk" in lines[0] and "--processes 1" in lines[0]


def _idle(workers: list[int]) -> dict[int, float]:
    """Wait until every worker has built its app (its CPU time stands still); return the
    CPU seconds of each."""
    seen = {pid: -1.0 for pid in workers}
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        now = {pid: _cpu_seconds(pid) for pid in workers}
        if now == seen:
            return now
        seen = now
        time.sleep(0.5)
    raise RuntimeError("the workers did not settle")

