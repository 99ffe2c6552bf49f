"""Every injected fault, and what the caller sees of it: result, error code, status after."""

from __future__ import annotations

import pytest

from kiosk_service.hardware import (
    CassetteStatus,
    DeviceState,
    DispenserError,
    EventKind,
    FillLevel,
    OutputPosition,
    ShutterState,
)


def raised(action) -> DispenserError:
    with pytest.raises(DispenserError) as caught:
        action()
    return caught.value


def no_note_lost(device) -> None:
    assert device.inventory().unaccounted() == {}
    for unit in device.status().cassettes:
        assert unit.counters.initial == unit.count + unit.counters.out + unit.shortfall


def test_a_double_pick_rejects_both_notes_and_picks_again(sim):
    device = sim("faults=double_pick:C:2")
    result = device.dispense({"C": 3})
    moved = result.notes["C"]
    assert result.completed and (moved.stacked, moved.rejected, moved.picked) == (3, 2, 5)
    assert [e.kind for e in result.events] == [EventKind.DOUBLE_PICK]
    status = device.status()
    assert status.reject_bin.by_denomination("CZK") == {50000: 2}
    assert status.cassette("C").count == 15 and status.cassette("C").counters.rejected == 2
    no_note_lost(device)


def test_a_failed_pick_rejects_one_note_and_picks_again(sim):
    device = sim("faults=pick_fail:D:1,pick_fail:D:3")
    result = device.dispense({"D": 4})
    assert (result.notes["D"].stacked, result.notes["D"].rejected) == (4, 2)
    assert len(result.events_of(EventKind.PICK_FAILURE)) == 2
    no_note_lost(device)


def test_probability_faults_repeat_with_the_seed_and_change_with_it(sim):
    def rejects(seed: int) -> list[int]:
        device = sim(f"seed={seed}&faults=double_pick:0.2,pick_fail:0.2")
        counts = []
        for _ in range(3):
            counts.append(device.dispense({"D": 5}).total("rejected"))
            device.reject()
        return counts

    assert rejects(4) == rejects(4)
    assert any(rejects(seed) != rejects(4) for seed in (5, 6, 7))


def test_a_jam_stops_the_dispense_and_reports_how_far_it_got(sim):
    device = sim("faults=jam:B:2")
    error = raised(lambda: device.dispense({"A": 1, "B": 4, "D": 2}))
    assert (error.code, error.cassette) == ("cash_unit_error", "B")
    result = error.result
    assert not result.completed and result.position == OutputPosition.STACKED
    assert (result.notes["A"].stacked, result.notes["B"].stacked, result.notes["D"].stacked) \
        == (1, 2, 0)
    assert (result.notes["B"].unknown, result.notes["B"].picked) == (1, 3)
    status = device.status()
    assert status.device == DeviceState.HARDWARE_ERROR
    assert status.cassette("B").status == CassetteStatus.INOPERATIVE
    assert dict(status.transport) == {"B": 1} and dict(status.stack) == {"A": 1, "B": 2}
    no_note_lost(device)


def test_after_a_jam_only_reset_works_then_the_stack_can_be_rejected(sim):
    device = sim("faults=jam:B:2")
    raised(lambda: device.dispense({"B": 4}))
    for action in (device.reject, device.present, lambda: device.dispense({"A": 1})):
        assert raised(action).code == "device_not_ready"
    reset = device.reset()
    assert reset.notes["B"].rejected == 1
    assert reset.events_of(EventKind.TRANSPORT_CLEARED)[0].cassette == "B"
    status = device.status()
    assert status.device == DeviceState.ONLINE and not status.transport
    assert status.position == OutputPosition.STACKED
    assert device.reject().total("rejected") == 2
    assert raised(lambda: device.dispense({"B": 1})).code == "cash_unit_error"
    assert device.status().reject_bin.by_denomination("CZK") == {100000: 3}
    no_note_lost(device)


def test_a_jammed_cassette_works_again_once_reloaded(sim, cassettes):
    device = sim("faults=jam:B:0")
    raised(lambda: device.dispense({"B": 1}))
    device.reset()
    device.load([cassettes[1]])
    assert device.dispense({"B": 2}).completed
    no_note_lost(device)


def test_a_missing_cassette_is_refused_before_any_pick(sim):
    device = sim("faults=missing:C")
    assert device.status().cassette("C").status == CassetteStatus.MISSING
    error = raised(lambda: device.dispense({"A": 1, "C": 1}))
    assert (error.code, error.cassette, error.result) == ("cash_unit_error", "C", None)
    assert device.status().cassette("A").count == 20


def test_a_cassette_removed_before_a_dispense(sim, cassettes):
    device = sim("faults=missing:C:2")
    device.dispense({"C": 1})
    device.reject()
    error = raised(lambda: device.dispense({"C": 1}))
    assert (error.code, error.cassette) == ("cash_unit_error", "C")
    assert device.status().cassette("C").status == CassetteStatus.MISSING
    device.load([cassettes[2]])
    assert device.dispense({"C": 1}).completed


def test_a_cassette_that_runs_out_before_its_declared_count(sim):
    device = sim("faults=short:C:17")
    error = raised(lambda: device.dispense({"A": 1, "C": 5}))
    assert (error.code, error.cassette) == ("cash_unit_error", "C")
    assert error.result.notes["C"].stacked == 3 and error.result.notes["A"].stacked == 1
    assert error.result.events_of(EventKind.CASSETTE_EMPTY)[0].cassette == "C"
    status = device.status()
    unit = status.cassette("C")
    assert (unit.count, unit.shortfall, unit.fill) == (0, 17, FillLevel.EMPTY)
    assert not unit.dispensable and status.device == DeviceState.ONLINE
    assert status.position == OutputPosition.STACKED
    no_note_lost(device)


def test_true_counts_given_at_load_are_a_count_mismatch(sim, cassettes):
    device = sim(true_counts={"D": 38})
    assert device.status().cassette("D").count == 40
    assert device.inventory().by_cassette["D"] == 38
    no_note_lost(device)


def test_extra_notes_stay_in_the_cassette_unknown_to_the_device(sim):
    device = sim("faults=extra:A:2")
    device.dispense({"A": 20})
    device.reject()
    assert device.status().cassette("A").count == 0
    assert device.inventory().by_cassette["A"] == 2
    assert raised(lambda: device.dispense({"A": 1})).code == "not_dispensable"
    no_note_lost(device)


def test_a_shutter_that_does_not_open_keeps_the_notes_stacked(sim):
    device = sim("faults=shutter:1")
    device.dispense({"D": 3})
    error = raised(device.present)
    assert error.code == "shutter_not_open"
    assert error.result.events_of(EventKind.SHUTTER_JAMMED) and error.result.total("presented") == 0
    status = device.status()
    assert (status.position, status.shutter) == (OutputPosition.STACKED, ShutterState.JAMMED)
    assert raised(device.present).code == "shutter_not_open"
    device.reset()
    assert device.status().shutter == ShutterState.CLOSED
    assert device.present().total("presented") == 3
    no_note_lost(device)


def test_a_customer_who_walks_away_gets_the_notes_retracted(sim, clock):
    device = sim("faults=no_take:1")
    device.dispense({"A": 1, "D": 2})
    device.present()
    started = clock.now()
    result = device.wait_for_take(30)
    assert result.position == OutputPosition.RETRACTED and not result.taken
    assert {c: m.retracted for c, m in result.notes.items()} == {"A": 1, "D": 2}
    assert [e.kind for e in result.events] == [EventKind.TAKE_TIMEOUT, EventKind.AUTO_RETRACT]
    assert (clock.now() - started).total_seconds() >= 30
    status = device.status()
    assert status.retract_bin.by_denomination("CZK") == {200000: 1, 10000: 2}
    assert status.retract_bin.operations == 1 and status.shutter == ShutterState.CLOSED
    no_note_lost(device)


def test_without_auto_retract_the_caller_retracts(sim):
    device = sim("faults=no_take")
    device.dispense({"D": 2})
    device.present()
    waited = device.wait_for_take(30, retract_on_timeout=False)
    assert waited.position == OutputPosition.PRESENTED and waited.total("retracted") == 0
    assert device.retract().total("retracted") == 2
    no_note_lost(device)


def test_a_customer_who_takes_while_the_shutter_closes(sim):
    device = sim("take_after=31")
    device.dispense({"D": 2})
    device.present()
    result = device.wait_for_take(30)
    assert result.taken and result.total("taken") == 2
    assert [e.kind for e in result.events] == [
        EventKind.TAKE_TIMEOUT, EventKind.AUTO_RETRACT, EventKind.ITEMS_TAKEN]
    no_note_lost(device)


def test_a_retract_after_the_customer_took_the_notes(sim, clock):
    device = sim("take_after=2")
    device.dispense({"D": 2})
    device.present()
    clock.advance(5)
    error = raised(device.retract)
    assert error.code == "items_taken" and error.result.taken
    assert error.result.total("taken") == 2
    assert device.status().position == OutputPosition.TAKEN
    assert raised(lambda: device.wait_for_take(0)).code == "no_items"   # reported once
    no_note_lost(device)


def test_a_take_seen_in_status_is_still_reported_once(sim, clock):
    device = sim("take_after=2")
    device.dispense({"D": 2})
    device.present()
    clock.advance(5)
    assert device.status().position == OutputPosition.TAKEN and not device.status().stack
    assert device.wait_for_take(30).total("taken") == 2
    assert raised(lambda: device.wait_for_take(30)).code == "no_items"
    assert raised(device.retract).code == "no_items"


def test_a_take_must_be_collected_before_the_next_dispense(sim, clock, cassettes):
    device = sim("take_after=2")
    device.dispense({"D": 2})
    device.present()
    clock.advance(5)
    assert raised(lambda: device.dispense({"D": 1})).code == "sequence_error"
    assert raised(lambda: device.load(cassettes)).code == "sequence_error"
    assert device.wait_for_take(0).total("taken") == 2
    assert device.dispense({"D": 1}).completed


def test_the_note_limit_is_the_urls(sim):
    device = sim("max_notes=5")
    assert device.status().max_dispense_items == 5
    assert raised(lambda: device.dispense({"D": 6})).code == "too_many_items"
    assert device.dispense({"D": 5}).completed
