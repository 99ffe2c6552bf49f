"""The `faults=` syntax: what each form means, and bad forms refused with every problem."""

from __future__ import annotations

import pytest

from sim.faults import Fault, FaultKind, FaultPlan


@pytest.mark.parametrize("text, fault", [
    ("double_pick:0.01", Fault(FaultKind.DOUBLE_PICK, probability=0.01)),
    ("double_pick:A:3", Fault(FaultKind.DOUBLE_PICK, cassette="A", at=3)),
    ("pick_fail:0.5", Fault(FaultKind.PICK_FAIL, probability=0.5)),
    ("pick_fail:RC1:1", Fault(FaultKind.PICK_FAIL, cassette="RC1", at=1)),
    ("jam:B", Fault(FaultKind.JAM, cassette="B", notes=0)),
    ("jam:B:3", Fault(FaultKind.JAM, cassette="B", notes=3)),
    ("missing:C", Fault(FaultKind.MISSING, cassette="C", at=0)),
    ("missing:C:4", Fault(FaultKind.MISSING, cassette="C", at=4)),
    ("short:A:5", Fault(FaultKind.SHORT, cassette="A", notes=5)),
    ("extra:A:2", Fault(FaultKind.EXTRA, cassette="A", notes=2)),
    ("shutter", Fault(FaultKind.SHUTTER, always=True)),
    ("shutter:2", Fault(FaultKind.SHUTTER, at=2)),
    ("no_take", Fault(FaultKind.NO_TAKE, always=True)),
    ("no_take:0.25", Fault(FaultKind.NO_TAKE, probability=0.25)),
    ("power_loss:2", Fault(FaultKind.POWER_LOSS, at=2, notes=0)),
    ("power_loss:2:7", Fault(FaultKind.POWER_LOSS, at=2, notes=7)),
    ("power_loss:0.1", Fault(FaultKind.POWER_LOSS, probability=0.1)),
])
def test_each_form_parses(text, fault):
    assert FaultPlan.parse(text).faults == (fault,)


def test_a_list_parses_in_order_and_ignores_empty_entries():
    plan = FaultPlan.parse("jam:B:3, double_pick:0.01,,no_take")
    assert [f.kind for f in plan.faults] == [FaultKind.JAM, FaultKind.DOUBLE_PICK,
                                             FaultKind.NO_TAKE]


@pytest.mark.parametrize("text", [
    "warp", "jam", "jam:B:x", "jam:B:1:2", "double_pick:3", "double_pick:1.5",
    "double_pick:A", "short:A", "short:A:0", "shutter:0", "no_take:-1", "power_loss",
    "power_loss:0", "missing:0.5", "pick_fail:A:0",
])
def test_bad_forms_are_refused(text):
    with pytest.raises(ValueError):
        FaultPlan.parse(text)


def test_every_bad_entry_is_named_at_once():
    with pytest.raises(ValueError) as caught:
        FaultPlan.parse("warp,jam:B:3,jam")
    assert "'warp'" in str(caught.value) and "'jam'" in str(caught.value)
