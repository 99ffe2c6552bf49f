"""Run a scenario: plan each withdrawal with plan_mix, drive the dispenser, keep the book."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from denomination import NotDispensable, plan_mix
from denomination.errors import CashmixError
from kiosk_service.hardware import (
    Clock,
    DeviceStatus,
    Dispenser,
    DispenserError,
    EventKind,
    OperationResult,
    open_dispenser,
)
from kiosk_service.hardware.cycle import clear_stack
from sim.book import Book
from sim.machine import Note
from sim.scenario import Scenario, Withdrawal

#: Events every normal withdrawal has; the report leaves them out.
ROUTINE = {EventKind.ITEMS_PRESENTED, EventKind.ITEMS_TAKEN}
#: Errors after which the runner plans the withdrawal once more with the device's new status.
REPLAN_CODES = {"cash_unit_error", "not_dispensable"}


@dataclass(frozen=True, slots=True)
class Outcome:
    """What happened to one withdrawal: the last plan tried (denomination -> notes), how it
    ended (`taken`, `retracted`, or an error code), the money taken, and what went wrong."""

    number: int
    withdrawal: Withdrawal
    plan: Mapping[int, int]
    ending: str
    taken: int = 0
    rejected: int = 0
    retracted: int = 0
    errors: tuple[str, ...] = ()
    events: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class RunReport:
    """A scenario's run: outcomes, the device's final status, the physical truth and the book.

    `unaccounted` is place -> Note -> notes the reports do not place (must be empty);
    `mismatch` is Note -> cassette notes that differ from what staff declared and the device
    has not found yet.
    """

    scenario: Scenario
    outcomes: tuple[Outcome, ...]
    status: DeviceStatus
    loaded: dict[Note, int]
    physical: dict[str, dict[Note, int]]
    unaccounted: dict[str, dict[Note, int]]
    mismatch: dict[Note, int]
    cassette_notes: dict[str, int]
    elapsed: timedelta

    @property
    def ok(self) -> bool:
        """True when every note is accounted for."""
        return not self.unaccounted


class _Withdrawal:
    """Collects the results of one withdrawal into an Outcome (and the book)."""

    def __init__(self, book: Book):
        self.book, self.results, self.errors = book, [], []

    def record(self, result: OperationResult | None) -> OperationResult | None:
        if result is not None:
            self.book.record(result)
            self.results.append(result)
        return result

    def outcome(self, number: int, withdrawal: Withdrawal, plan: Mapping[int, int],
                ending: str) -> Outcome:
        events = tuple(f"{e.kind}{' ' + e.cassette if e.cassette else ''}"
                       for r in self.results for e in r.events if e.kind not in ROUTINE)
        return Outcome(number, withdrawal, dict(plan), ending,
                       taken=sum(r.amount("taken") for r in self.results),
                       rejected=sum(r.total("rejected") for r in self.results),
                       retracted=sum(r.total("retracted") for r in self.results),
                       errors=tuple(self.errors), events=events)


def run_scenario(scenario: Scenario, *, clock: Clock, pace: float = 1.0) -> RunReport:
    """Run every withdrawal of `scenario` on a fresh simulated dispenser; return the report."""
    started = clock.now()
    device = open_dispenser(scenario.url(pace=pace), clock=clock,
                            cassettes=scenario.cassettes, true_counts=scenario.true_counts)
    with device:
        book = Book.opened(device.status())
        outcomes = tuple(_serve(device, book, scenario, number, withdrawal)
                         for number, withdrawal in enumerate(scenario.withdrawals, 1))
        status = device.status()
        inventory = device.inventory()
    differences = book.differences(inventory.places, status)
    mismatch = differences.pop("cassettes", {})
    return RunReport(scenario, outcomes, status, inventory.loaded, inventory.places,
                     differences, mismatch, inventory.by_cassette, clock.now() - started)


def _serve(device: Dispenser, book: Book, scenario: Scenario, number: int,
           withdrawal: Withdrawal) -> Outcome:
    """Serve one customer as a careful service would: plan, dispense, present, wait."""
    tally = _Withdrawal(book)
    plan: dict[int, int] = {}
    for attempt in range(2):
        status = _recover(device, tally)
        cassettes = [c for c in status.for_planning() if c.currency == scenario.currency]
        try:
            chosen = plan_mix(withdrawal.amount, scenario.currency, cassettes,
                              _preference(withdrawal.preference),
                              max_notes=status.max_dispense_items)
        except NotDispensable as error:
            return tally.outcome(number, withdrawal, plan, error.code)
        except CashmixError as error:
            return tally.outcome(number, withdrawal, plan, error.code)
        plan = dict(chosen.by_denomination)
        try:
            tally.record(device.dispense(chosen.by_cassette, amount=withdrawal.amount))
            break
        except DispenserError as error:
            tally.errors.append(error.code)
            tally.record(error.result)
            _recover(device, tally)
            if error.code not in REPLAN_CODES or attempt:
                return tally.outcome(number, withdrawal, plan, error.code)
    try:
        tally.record(device.present())
    except DispenserError as error:
        tally.errors.append(error.code)
        tally.record(error.result)
        _recover(device, tally)
        return tally.outcome(number, withdrawal, plan, error.code)
    result = tally.record(device.wait_for_take(scenario.take_timeout))
    return tally.outcome(number, withdrawal, plan, str(result.position))


def _recover(device: Dispenser, tally: _Withdrawal) -> DeviceStatus:
    """Bring the device back to an empty, online state (kiosk_service/hardware/cycle.py)."""
    for result in clear_stack(device):
        tally.record(result)
    return device.status()


def _preference(raw: Mapping[str, Any] | None) -> dict[str, Any] | None:
    return dict(raw) if raw is not None else None
