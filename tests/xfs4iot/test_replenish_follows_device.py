"""A staff load the device does not bring back into service (a jammed XFS4IoT unit stays
inoperative until an exchange at the device) leaves the cassette out of service in the books,
so no quote plans from notes the device will refuse to pick (found by bench/soak.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from kiosk_service import create_app
from kiosk_service.hardware import CashUnitError, open_dispenser
from kiosk_service.persistence.migrate import upgrade_database
from kiosk_service.services.cassettes import CassetteChange, change_cassette
from kiosk_service.services.terminals import import_terminal
from kiosk_service.terminal_files import load_terminal_file
from sim.xfs4iot.cli import build_endpoint

TERMINAL = Path(__file__).resolve().parents[2] / "config" / "terminals" / "demo-czk.toml"


@pytest.fixture
def endpoint():
    served = build_endpoint(TERMINAL, dialect="2024-3", port=0, take_after=0.2,
                            faults="jam:C:0")
    served.start()
    yield f"xfs4iot://127.0.0.1:{served.port}/xfs4iot/v1.0?dialect=2024-3&timeout=10"
    served.stop()
    served.service.device.close()


@pytest.fixture
def deps(tmp_path, endpoint):
    deps = create_app({"DATABASE_URL": f"sqlite:///{tmp_path / 'cashmix.sqlite'}",
                       "RECOVER_ON_START": False, "LOG_LEVEL": "WARNING",
                       "DISPENSERS": {"demo-czk": endpoint}}).extensions["cashmix"]
    upgrade_database(deps.engine)
    import_terminal(load_terminal_file(TERMINAL), uow=deps.unit_of_work(), clock=deps.clock,
                    actor="test")
    yield deps
    deps.close()


def test_a_load_of_a_unit_the_device_keeps_inoperative_keeps_it_out_of_service(deps, endpoint):
    with open_dispenser(endpoint) as device:
        with pytest.raises(CashUnitError):
            device.dispense({"C": 1})
        device.reset()
        assert device.status().cassette("C").status == "inoperative"
    view = change_cassette("demo-czk", "C", CassetteChange("staff load", count=400,
                                                           replenish=True),
                           actor="staff", uow=deps.unit_of_work(), clock=deps.clock,
                           devices=deps.devices)
    assert view.cassette.status == "inoperative" and view.cassette.count == 400
    with deps.unit_of_work() as uow:
        assert uow.terminals.get("demo-czk").cassette("C").status == "inoperative"
        changed = uow.journal.all("demo-czk", kinds=["cassette_status_changed"])
    assert [(e.subject, e.after) for e in changed] == [("C", {"status": "inoperative"})]


def test_a_load_of_a_healthy_unit_puts_it_in_service(deps):
    view = change_cassette("demo-czk", "A", CassetteChange("staff load", count=500,
                                                           replenish=True),
                           actor="staff", uow=deps.unit_of_work(), clock=deps.clock,
                           devices=deps.devices)
    assert view.cassette.status == "ok" and view.cassette.count == 500
