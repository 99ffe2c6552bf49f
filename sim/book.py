"""The caller's book: where every note went, built only from what the driver reported.

`kiosk-sim` and the tests keep one beside the device and compare it with the simulator's
physical truth: a note the reports do not place is a note unaccounted for.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from kiosk_service.hardware.results import Operation, OperationResult
from kiosk_service.hardware.status import CassetteState, DeviceStatus, OutputPosition
from sim.machine import Note

#: The places of the book, as in Machine.places() (less `unloaded`: staff business).
PLACES = ("cassettes", "transport", "stack", "reject_bin", "retract_bin", "taken")


@dataclass
class Book:
    """Notes per place and kind of note, kept from OperationResults alone (mutable tally)."""

    places: dict[str, Counter] = field(default_factory=lambda: {p: Counter() for p in PLACES})

    @classmethod
    def opened(cls, status: DeviceStatus) -> Book:
        """Start a book from a device's status: the cassettes' declared notes, bins, stack."""
        book = cls()
        for unit in status.cassettes:
            note = (unit.currency, unit.denomination)
            book.places["cassettes"][note] += unit.count
            book.places["stack"][note] += status.stack.get(unit.id, 0)
            book.places["transport"][note] += status.transport.get(unit.id, 0)
        book.places["reject_bin"].update(status.reject_bin.notes)
        book.places["retract_bin"].update(status.retract_bin.notes)
        return book

    def record(self, result: OperationResult) -> None:
        """Move notes as `result` says. (`result.recovered` is not applied: the caller that
        saw the interrupted operation's error recorded it then.)"""
        p = self.places
        for m in result.notes.values():
            note: Note = (m.currency, m.denomination)
            if result.operation == Operation.DISPENSE:
                p["cassettes"][note] -= m.picked
                p["reject_bin"][note] += m.rejected
                p["transport"][note] += m.unknown
                p["stack"][note] += m.stacked
            elif result.operation == Operation.REJECT:
                p["stack"][note] -= m.rejected
                p["reject_bin"][note] += m.rejected
            elif result.operation == Operation.RESET:
                p["transport"][note] -= m.rejected
                p["reject_bin"][note] += m.rejected
            else:
                p["stack"][note] -= m.taken + m.retracted
                p["taken"][note] += m.taken
                p["retract_bin"][note] += m.retracted

    def reloaded(self, old: CassetteState | None, new: CassetteState) -> None:
        """Staff replaced cassette `old` by `new`: the notes the book had in `old` (its count
        plus any shortfall the device found) leave, `new`'s declared notes arrive."""
        if old is not None:
            self.places["cassettes"][(old.currency, old.denomination)] -= old.count + old.shortfall
        self.places["cassettes"][(new.currency, new.denomination)] += new.count

    def differences(self, physical: dict[str, dict[Note, int]],
                    status: DeviceStatus) -> dict[str, dict[Note, int]]:
        """Return place -> Note -> (physical - book) wherever they differ.

        `status` completes the book with what a caller reads there: a stack the device shows
        as taken but has not reported yet, and the shortfall it found in cassettes (declared
        notes that were never there). Whatever differs in the cassettes after that is a count
        mismatch the device has not found yet.
        """
        expected = {place: Counter(self.places[place]) for place in PLACES}
        if status.position == OutputPosition.TAKEN:
            expected["taken"].update(expected["stack"])
            expected["stack"] = Counter()
        for unit in status.cassettes:
            expected["cassettes"][(unit.currency, unit.denomination)] -= unit.shortfall
        differences = {}
        for place in PLACES:
            found = physical.get(place, {})
            notes = set(expected[place]) | set(found)
            gaps = {n: found.get(n, 0) - expected[place][n] for n in sorted(notes)
                    if found.get(n, 0) != expected[place][n]}
            if gaps:
                differences[place] = gaps
        return differences
