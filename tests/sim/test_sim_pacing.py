"""Time: a ManualClock moves by what a real dispenser would take, and pace=0 takes none."""

from __future__ import annotations

from datetime import timedelta

from sim.dispenser import PRESENT_SECONDS
from sim.picking import PICK_SECONDS


def test_at_pace_one_each_step_takes_a_real_dispensers_time(sim, clock):
    device = sim("pace=1&take_after=4")
    start = clock.now()
    device.dispense({"D": 5})
    assert clock.now() - start == timedelta(seconds=5 * PICK_SECONDS)
    device.present()
    presented = clock.now()
    assert presented - start == timedelta(seconds=5 * PICK_SECONDS + PRESENT_SECONDS)
    device.wait_for_take(30)
    assert clock.now() - presented == timedelta(seconds=4)


def test_pace_scales_the_machine_and_the_customer(sim, clock):
    device = sim("pace=0.5&take_after=4")
    start = clock.now()
    device.dispense({"D": 10})
    device.present()
    device.wait_for_take(30)
    assert clock.now() - start == timedelta(seconds=(10 * PICK_SECONDS + PRESENT_SECONDS + 4) / 2)


def test_at_pace_zero_only_the_callers_timeouts_take_time(sim, clock):
    device = sim("pace=0&faults=no_take")
    start = clock.now()
    device.dispense({"D": 10})
    device.present()
    assert clock.now() == start
    device.wait_for_take(30)
    assert clock.now() - start == timedelta(seconds=30)
