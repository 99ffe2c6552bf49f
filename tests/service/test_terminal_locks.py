"""Terminal locks across processes, and the device pool's idle closing, bounds and health."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from dataclasses import replace

import pytest
from sqlalchemy import create_engine

from kiosk_service.devices import DispenserPool
from kiosk_service.errors import TerminalBusy
from kiosk_service.hardware import DispenserError, ManualClock
from kiosk_service.persistence.database import normalise_url
from kiosk_service.terminal_files import load_terminal_file
from kiosk_service.terminal_locks import AdvisoryLocks, FileLocks
from tests.service.conftest import POSTGRES_URL, TERMINALS, needs_postgres


def test_a_file_lock_excludes_another_holder_until_released(tmp_path):
    clock = ManualClock()
    first = FileLocks(tmp_path, clock=clock, owner="host:1:a")
    second = FileLocks(tmp_path, clock=clock, owner="host:2:b")
    held = first.acquire("t-1", timeout=1)
    with pytest.raises(TerminalBusy) as caught:
        second.acquire("t-1", timeout=0.5)
    assert caught.value.code == "terminal_busy" and caught.value.details["holder"] == "host:1:a"
    second.acquire("t-2", timeout=0).release()      # another terminal is free
    held.release()
    second.acquire("t-1", timeout=0).release()


def test_a_dead_process_leaves_its_file_lock_free(tmp_path):
    holder = subprocess.Popen([sys.executable, "-c", textwrap.dedent(f"""
        import sys, time
        from pathlib import Path
        from kiosk_service.hardware import SystemClock
        from kiosk_service.terminal_locks import FileLocks
        FileLocks(Path({str(tmp_path)!r}), clock=SystemClock(), owner="child").acquire(
            "t-1", timeout=5)
        print("held", flush=True)
        time.sleep(60)
    """)], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "held"
        locks = FileLocks(tmp_path, clock=ManualClock(), owner="me")
        with pytest.raises(TerminalBusy):
            locks.acquire("t-1", timeout=0.1)
        holder.kill()
        holder.wait(10)
        locks.acquire("t-1", timeout=0).release()
    finally:
        holder.kill()
        holder.wait(10)
        holder.stdout.close()


@needs_postgres
def test_an_advisory_lock_is_held_per_connection_and_dies_with_it():
    engines = [create_engine(normalise_url(POSTGRES_URL)) for _ in range(2)]
    try:
        first, second = (AdvisoryLocks(engine) for engine in engines)
        held = first.acquire("t-1", timeout=1)
        with pytest.raises(TerminalBusy) as caught:
            second.acquire("t-1", timeout=0.2)
        assert caught.value.code == "terminal_busy"
        second.acquire("t-2", timeout=0.2).release()
        held.release()
        second.acquire("t-1", timeout=0.2).release()
        held = first.acquire("t-1", timeout=0.2)
        held.connection.invalidate()        # the session ends, as when its process dies
        second.acquire("t-1", timeout=2).release()
    finally:
        for engine in engines:
            engine.dispose()


def test_a_cycle_waits_for_another_pool_and_then_refuses(tmp_path):
    terminal = load_terminal_file(TERMINALS / "demo-czk.toml")
    clock = ManualClock()
    pools = [DispenserPool(clock=clock, default_url="sim://?pace=0",
                           overrides={terminal.id: "sim://?pace=0"},
                           locks=FileLocks(tmp_path, clock=clock, owner=f"p{n}"),
                           lock_timeout=0.2) for n in (1, 2)]
    with pools[0].cycle(terminal), pools[0].cycle(terminal), \
            pytest.raises(TerminalBusy), pools[1].cycle(terminal):      # reentrant in a thread
        pass
    with pools[1].cycle(terminal) as device:
        assert device.driver.status().cassettes
    for pool in pools:
        pool.close()


def _terminals(n: int):
    base = load_terminal_file(TERMINALS / "demo-czk.toml")
    return [replace(base, id=f"t-{i}", dispenser_url="sim://?pace=0") for i in range(n)]


def test_the_pool_closes_idle_devices_and_keeps_at_most_max_open():
    clock = ManualClock()
    pool = DispenserPool(clock=clock, default_url="sim://?pace=0", idle_seconds=60, max_open=3)
    terminals = _terminals(5)
    for terminal in terminals:
        with pool.cycle(terminal):
            pass
        clock.advance(1)
    assert pool.report()["open"] == 3      # the two least recently used went first
    with pool.cycle(terminals[2]):
        clock.advance(61)
        assert pool.sweep() == ["t-3", "t-4"]   # the one in use stays open
    assert pool.report()["open"] == 1
    clock.advance(61)
    assert pool.sweep() == ["t-2"]
    with pool.cycle(terminals[0]) as device:     # opens again when needed
        assert device.driver.status().cassettes
    pool.close()


def test_the_pool_reports_devices_that_failed_to_open_or_failed_last():
    clock = ManualClock()
    pool = DispenserPool(clock=clock, default_url="sim://?colour=red")
    terminal = _terminals(1)[0]
    broken = replace(terminal, id="broken", dispenser_url=None)
    with pytest.raises(DispenserError) as caught:
        pool.get(broken)
    assert caught.value.code == "invalid_driver_url"
    assert pool.report()["degraded"]["broken"]["error"] == "invalid_driver_url"
    assert "t-0" not in pool.report()["degraded"]
    pool.close()


def test_a_dispense_while_another_process_drives_the_terminal_is_409_and_moves_nothing(
        make_app, new_key, caller):
    app = make_app(TERMINAL_LOCK_TIMEOUT_SECONDS=0.1)
    other = make_app().extensions["cashmix"]        # another process, as far as locks go
    kiosk = caller(app.test_client(), new_key(app, "kiosk"))
    staff = caller(app.test_client(), new_key(app, "staff"))
    before = {c["id"]: c["count"] for c in staff.get("/cassettes").get_json()}
    quote = kiosk.quote(350000).get_json()
    with other.unit_of_work() as uow:
        terminal = uow.terminals.get("demo-czk")
    with other.devices.cycle(terminal):
        refused = kiosk.dispense(quote)
    assert refused.status_code == 409 and refused.get_json()["code"] == "terminal_busy"
    assert refused.headers["Retry-After"] == "1"
    assert {c["id"]: c["count"] for c in staff.get("/cassettes").get_json()} == before
    served = kiosk.dispense(quote, key="k-2")
    assert served.status_code == 201 and served.get_json()["outcome"] == "complete"
