"""The contract every dispenser driver keeps: operations, results, refusals and counters."""

from __future__ import annotations

from collections import Counter
from dataclasses import replace

import pytest

from denomination.cassettes import Cassette
from kiosk_service.hardware import (
    CassetteStatus,
    DeviceState,
    DispenserError,
    ItemsTaken,
    Operation,
    OperationResult,
    OutputPosition,
)

PLAN = {"A": 1, "B": 2, "C": 3}            # 2000 + 1000 + 300 CZK
PLAN_AMOUNT = 330000
TIMEOUT = 30.0


def counters_add_up(status) -> None:
    for unit in status.cassettes:
        assert unit.counters.initial == unit.count + unit.counters.out + unit.shortfall, unit


def cassette_counts(status) -> dict[str, int]:
    return {unit.id: unit.count for unit in status.cassettes}


def refused(action, code: str, dispenser) -> None:
    """The call raises `code`, moves nothing, and reports nothing moved."""
    before = dispenser.status()
    with pytest.raises(DispenserError) as caught:
        action()
    assert caught.value.code == code
    assert caught.value.result is None
    after = dispenser.status()
    assert cassette_counts(after) == cassette_counts(before)
    assert (after.position, dict(after.stack)) == (before.position, dict(before.stack))


def test_status_after_load_reports_every_cassette(dispenser, cassettes):
    status = dispenser.status()
    assert status.device == DeviceState.ONLINE
    assert status.position.empty
    assert status.max_dispense_items >= sum(PLAN.values())
    for loaded in cassettes:
        unit = status.cassette(loaded.id)
        assert (unit.currency, unit.denomination, unit.count) == \
            (loaded.currency, loaded.denomination, loaded.count)
        assert unit.counters.initial == loaded.count
        assert unit.status == CassetteStatus.OK and unit.dispensable
    assert status.for_planning()[0].count == cassettes[0].count
    counters_add_up(status)


def test_dispense_stacks_exactly_the_plan(dispenser):
    before = dispenser.status()
    result = dispenser.dispense(PLAN, amount=PLAN_AMOUNT)
    assert result.operation == Operation.DISPENSE and result.completed
    assert result.position == OutputPosition.STACKED
    for cassette_id, notes in PLAN.items():
        moved = result.notes[cassette_id]
        assert moved.requested == moved.stacked == notes
        assert moved.picked == moved.stacked + moved.rejected + moved.unknown
    after = dispenser.status()
    assert after.position == OutputPosition.STACKED and dict(after.stack) == PLAN
    for cassette_id in PLAN:
        assert after.cassette(cassette_id).count == \
            before.cassette(cassette_id).count - result.notes[cassette_id].picked
    assert after.reject_bin.count - before.reject_bin.count == result.total("rejected")
    counters_add_up(after)


def test_present_then_the_customer_takes_or_the_device_retracts(dispenser):
    before = dispenser.status()
    dispenser.dispense(PLAN)
    presented = dispenser.present()
    assert presented.position == OutputPosition.PRESENTED
    assert {c: m.presented for c, m in presented.notes.items()} == PLAN
    assert dispenser.status().position == OutputPosition.PRESENTED
    waited = dispenser.wait_for_take(TIMEOUT)
    after = dispenser.status()
    assert waited.position in (OutputPosition.TAKEN, OutputPosition.RETRACTED)
    assert after.position == waited.position and not after.stack
    if waited.taken:
        assert {c: m.taken for c, m in waited.notes.items()} == PLAN
        assert waited.amount("taken") == PLAN_AMOUNT
    else:
        assert {c: m.retracted for c, m in waited.notes.items()} == PLAN
        assert after.retract_bin.count - before.retract_bin.count == sum(PLAN.values())
        assert after.retract_bin.operations == before.retract_bin.operations + 1
    counters_add_up(after)


def test_wait_without_retract_leaves_the_notes_for_an_explicit_retract(dispenser):
    before = dispenser.status()
    dispenser.dispense(PLAN)
    dispenser.present()
    waited = dispenser.wait_for_take(0, retract_on_timeout=False)
    assert waited.position in (OutputPosition.PRESENTED, OutputPosition.TAKEN)
    try:
        retracted = dispenser.retract()
    except ItemsTaken as error:
        assert error.code == "items_taken"
        assert error.result.taken and error.result.total("taken") == sum(PLAN.values())
        return
    assert retracted.position == OutputPosition.RETRACTED
    assert retracted.total("retracted") == sum(PLAN.values())
    after = dispenser.status()
    assert after.retract_bin.count - before.retract_bin.count == sum(PLAN.values())
    assert Counter(after.retract_bin.notes) - Counter(before.retract_bin.notes) == Counter(
        {("CZK", 200000): 1, ("CZK", 50000): 2, ("CZK", 10000): 3})


def test_reject_sends_the_stack_to_the_reject_bin(dispenser):
    before = dispenser.status()
    dispensed = dispenser.dispense(PLAN)
    rejected = dispenser.reject()
    assert rejected.position == OutputPosition.IDLE
    assert {c: m.rejected for c, m in rejected.notes.items()} == PLAN
    after = dispenser.status()
    assert not after.stack and after.position == OutputPosition.IDLE
    assert after.reject_bin.count - before.reject_bin.count == \
        dispensed.total("rejected") + sum(PLAN.values())
    for cassette_id, notes in PLAN.items():
        assert after.cassette(cassette_id).counters.rejected >= notes
    counters_add_up(after)


def test_a_new_dispense_is_allowed_once_the_position_is_empty(dispenser):
    for _ in range(2):
        dispenser.dispense({"C": 2})
        dispenser.present()
        dispenser.wait_for_take(TIMEOUT)
    assert dispenser.status().position.empty


def test_reset_on_a_healthy_device_moves_nothing(dispenser):
    before = dispenser.status()
    result = dispenser.reset()
    assert isinstance(result, OperationResult) and result.operation == Operation.RESET
    assert result.total("rejected") == 0 and result.recovered is None
    after = dispenser.status()
    assert after.device == DeviceState.ONLINE
    assert cassette_counts(after) == cassette_counts(before)


@pytest.mark.parametrize("plan, amount, code", [
    ({"A": -1}, None, "invalid_denomination"),
    ({"A": 0}, None, "invalid_denomination"),
    ({"A": 1.5}, None, "invalid_denomination"),
    ({"A": 1}, 100000, "invalid_denomination"),
    ({"Z": 1}, None, "not_dispensable"),
    ({"A": 31}, None, "not_dispensable"),
    ({"C": 41}, None, "too_many_items"),
])
def test_dispense_refuses_a_bad_plan_before_moving_a_note(dispenser, plan, amount, code):
    refused(lambda: dispenser.dispense(plan, amount=amount), code, dispenser)


@pytest.mark.parametrize("change, code", [
    ({"locked": True}, "cash_unit_error"),
    ({"status": CassetteStatus.INOPERATIVE}, "cash_unit_error"),
    ({"status": CassetteStatus.MISSING}, "cash_unit_error"),
])
def test_dispense_refuses_a_cassette_that_cannot_give_notes(dispenser, cassettes, change, code):
    dispenser.load([replace(cassettes[1], **change)])
    assert not dispenser.status().cassette("B").dispensable
    refused(lambda: dispenser.dispense({"B": 1}), code, dispenser)
    with pytest.raises(DispenserError) as caught:
        dispenser.dispense({"B": 1})
    assert caught.value.cassette == "B"


def test_operations_out_of_order_are_refused(dispenser, cassettes):
    refused(dispenser.present, "no_items", dispenser)
    refused(dispenser.reject, "no_items", dispenser)
    refused(dispenser.retract, "no_items", dispenser)
    refused(lambda: dispenser.wait_for_take(TIMEOUT), "no_items", dispenser)
    dispenser.dispense({"C": 1})
    refused(lambda: dispenser.dispense({"C": 1}), "items_left", dispenser)
    refused(lambda: dispenser.load(cassettes), "items_left", dispenser)
    refused(dispenser.retract, "no_items", dispenser)
    dispenser.present()
    refused(lambda: dispenser.dispense({"C": 1}), "items_left", dispenser)
    refused(dispenser.reject, "no_items", dispenser)


@pytest.mark.parametrize("bad_load", [
    [Cassette("A", "CZK", 200000, 5), Cassette("A", "CZK", 200000, 5)],
    [Cassette("A", "CZK", 200000, 2001, capacity=2000)],
    [Cassette("A", "CZK", 200000, -1)],
    [Cassette("A", "CZK", 0, 10)],
])
def test_load_refuses_what_a_device_cannot_hold(dispenser, bad_load):
    before = dispenser.status()
    with pytest.raises(DispenserError) as caught:
        dispenser.load(bad_load)
    assert caught.value.code == "invalid_unit"
    assert caught.value.details["errors"]
    assert dispenser.status().cassettes == before.cassettes


def test_reload_resets_the_counters_of_that_cassette_only(dispenser, cassettes):
    dispenser.dispense({"A": 1, "C": 2})
    dispenser.reject()
    status = dispenser.load([Cassette("C", "CZK", 10000, 500, capacity=2000)])
    assert status.cassette("C").counters.initial == 500 and status.cassette("C").count == 500
    assert status.cassette("C").counters.out == 0
    assert status.cassette("A").count == cassettes[0].count - 1
