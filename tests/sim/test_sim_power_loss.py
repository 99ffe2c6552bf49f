"""Power loss mid-dispense: the device state survives in its file and reset() tells the rest."""

from __future__ import annotations

import pytest

from kiosk_service.hardware import (
    DeviceState,
    DispenserError,
    EventKind,
    Operation,
    OutputPosition,
    open_dispenser,
)


def test_power_loss_reports_the_partial_dispense_and_stops_the_device(sim, tmp_path):
    device = sim(f"faults=power_loss:1:3&state={tmp_path / 'atm.json'}")
    with pytest.raises(DispenserError) as caught:
        device.dispense({"A": 2, "D": 4})
    assert caught.value.code == "power_failure"
    result = caught.value.result
    assert not result.completed and result.events_of(EventKind.POWER_LOST)
    assert (result.notes["A"].stacked, result.notes["D"].stacked) == (2, 1)
    status = device.status()
    assert status.device == DeviceState.POWER_OFF and status.interrupted == result
    with pytest.raises(DispenserError) as caught:
        device.reject()
    assert caught.value.code == "device_not_ready"


def test_a_new_driver_on_the_same_state_recovers_after_the_crash(sim, clock, tmp_path):
    url = f"sim://?faults=power_loss:1:3&state={tmp_path / 'atm.json'}"
    crashed = sim(url.removeprefix("sim://?"))
    with pytest.raises(DispenserError) as caught:
        crashed.dispense({"A": 2, "D": 4})
    cut = caught.value.result
    del crashed                     # the process died; no close()

    with open_dispenser(url, clock=clock, cassettes=()) as restarted:
        status = restarted.status()
        assert status.device == DeviceState.POWER_OFF
        assert dict(status.stack) == {"A": 2, "D": 1} and status.interrupted == cut
        assert status.cassette("A").counters.stacked == 2
        reset = restarted.reset()
        assert reset.operation == Operation.RESET and reset.recovered == cut
        assert restarted.status().interrupted is None
        assert restarted.reject().total("rejected") == 3
        assert restarted.inventory().unaccounted() == {}
        assert restarted.dispense({"A": 1}).completed   # dispense 2: no power loss


def test_cassettes_are_loaded_only_into_a_device_that_has_none(sim, clock, cassettes, tmp_path):
    url = f"sim://?state={tmp_path / 'atm.json'}"
    with open_dispenser(url, clock=clock, cassettes=cassettes) as first:
        first.dispense({"A": 3})
        first.reject()
    with open_dispenser(url, clock=clock, cassettes=cassettes) as second:
        assert second.status().cassette("A").count == 17
        assert second.status().reject_bin.count == 3


def test_every_part_of_the_state_survives_a_restart(sim, clock, tmp_path):
    url = f"sim://?seed=3&faults=double_pick:0.3,short:C:2&state={tmp_path / 's.json'}"
    device = sim(url.removeprefix("sim://?"))
    device.dispense({"C": 3, "D": 3})
    device.present()
    before, inventory = device.status(), device.inventory()
    with open_dispenser(url, clock=clock) as again:
        assert again.status() == before and again.inventory() == inventory


def test_a_damaged_state_file_is_a_url_error(clock, tmp_path):
    path = tmp_path / "atm.json"
    path.write_text("{not json")
    with pytest.raises(DispenserError) as caught:
        open_dispenser(f"sim://?state={path}", clock=clock)
    assert caught.value.code == "invalid_driver_url"


def test_without_a_state_file_a_new_driver_starts_empty(sim, clock):
    sim().dispense({"A": 1})
    with open_dispenser("sim://?seed=1", clock=clock) as fresh:
        assert fresh.status().cassettes == ()
        assert fresh.status().position == OutputPosition.IDLE
