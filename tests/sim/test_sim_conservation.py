"""Conservation: whatever the operations and faults, every note loaded is somewhere, and the
driver's reports alone say where."""

from __future__ import annotations

from dataclasses import replace

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule

from denomination.cassettes import Cassette
from kiosk_service.hardware import ERROR_CODES, DispenserError, ManualClock, open_dispenser
from sim.book import Book

CASSETTES = (
    Cassette("A", "CZK", 200000, 12, capacity=60),
    Cassette("B", "CZK", 100000, 12, capacity=60),
    Cassette("C", "CZK", 50000, 12, capacity=60),      # the only cassette with count mismatches
    Cassette("D", "CZK", 10000, 30, capacity=60),
)
IDS = [c.id for c in CASSETTES]
MISMATCHED = ("CZK", 50000)

FAULTS = st.sampled_from([
    "double_pick:0.1", "pick_fail:0.1", "double_pick:A:2", "pick_fail:D:3", "jam:A:2",
    "jam:D:5", "jam:B:0", "missing:B", "missing:C:3", "short:C:4", "extra:C:3", "shutter:2",
    "shutter:0.3", "no_take", "no_take:0.5", "power_loss:2:1", "power_loss:0.2",
])


class DispenserUnderFaults(RuleBasedStateMachine):
    """Random operations on a simulated dispenser with random faults, checked after each step."""

    @initialize(faults=st.lists(FAULTS, max_size=4, unique=True), seed=st.integers(0, 99),
                max_notes=st.integers(2, 12), take_after=st.sampled_from([0, 2, 29, 40]))
    def open(self, faults, seed, max_notes, take_after):
        self.clock = ManualClock()
        url = (f"sim://?seed={seed}&max_notes={max_notes}&take_after={take_after}"
               f"&faults={','.join(faults)}")
        self.device = open_dispenser(url, clock=self.clock, cassettes=CASSETTES)
        self.book = Book.opened(self.device.status())

    def attempt(self, action):
        try:
            self.book.record(action())
        except DispenserError as error:
            assert error.code in ERROR_CODES
            if error.result is not None:
                self.book.record(error.result)

    @rule(counts=st.dictionaries(st.sampled_from(IDS), st.integers(0, 5), max_size=4),
          state_amount=st.booleans())
    def dispense(self, counts, state_amount):
        value = sum(c.denomination * counts.get(c.id, 0) for c in CASSETTES)
        self.attempt(lambda: self.device.dispense(counts, amount=value if state_amount else None))

    @rule()
    def present(self):
        self.attempt(self.device.present)

    @rule(timeout=st.sampled_from([0, 1, 30]), retract=st.booleans())
    def wait_for_take(self, timeout, retract):
        self.attempt(lambda: self.device.wait_for_take(timeout, retract_on_timeout=retract))

    @rule()
    def retract(self):
        self.attempt(self.device.retract)

    @rule()
    def reject(self):
        self.attempt(self.device.reject)

    @rule()
    def reset(self):
        self.attempt(self.device.reset)

    @rule(seconds=st.sampled_from([1, 5, 60]))
    def time_passes(self, seconds):
        self.clock.advance(seconds)

    @rule(index=st.integers(0, len(CASSETTES) - 1), count=st.integers(0, 60))
    def reload(self, index, count):
        before = self.device.status()
        fresh = replace(CASSETTES[index], count=count)
        try:
            after = self.device.load([fresh])
        except DispenserError as error:
            assert error.code in ("items_left", "sequence_error", "device_not_ready")
            return
        old = next((u for u in before.cassettes if u.id == fresh.id), None)
        self.book.reloaded(old, after.cassette(fresh.id))

    @invariant()
    def every_note_is_somewhere(self):
        assert self.device.inventory().unaccounted() == {}

    @invariant()
    def counters_add_up(self):
        for unit in self.device.status().cassettes:
            assert unit.counters.initial == unit.count + unit.counters.out + unit.shortfall
            assert unit.count >= 0

    @invariant()
    def the_reports_place_every_note(self):
        status, inventory = self.device.status(), self.device.inventory()
        differences = self.book.differences(inventory.places, status)
        assert set(differences) <= {"cassettes"}
        assert set(differences.get("cassettes", {})) <= {MISMATCHED}

    @invariant()
    def status_agrees_with_the_physical_device(self):
        status, places = self.device.status(), self.device.inventory().places
        assert dict(status.reject_bin.notes) == places["reject_bin"]
        assert dict(status.retract_bin.notes) == places["retract_bin"]
        assert sum(status.stack.values()) == sum(places["stack"].values())
        assert sum(status.transport.values()) == sum(places["transport"].values())
        assert status.position.empty == (not status.stack)


DispenserUnderFaults.TestCase.settings = settings(
    max_examples=60, stateful_step_count=30, deadline=None,
    suppress_health_check=[HealthCheck.too_slow])
TestDispenserUnderFaults = DispenserUnderFaults.TestCase
