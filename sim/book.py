"""The caller's book: where every note went, built only from what the driver reported.

`kiosk-sim` and the tests keep one beside the device and compare it with the simulator's
physical truth: a note the reports do not place is a note unaccounted for.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from kiosk_service.hardware.results import Operation, OperationResult
from kiosk_service.hardware.status import DeviceStatus
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

    def differences(self, physical: dict[str, dict[Note, int]],
                    shortfall: dict[Note, int]) -> dict[str, dict[Note, int]]:
        """Return place -> Note -> (physical - book) wherever they differ.

        The cassettes compare after the shortfall the device found (declared notes that were
        never there); what remains there is a count mismatch the device has not found yet.
        """
        differences = {}
        for place in PLACES:
            expected = Counter(self.places[place])
            if place == "cassettes":
                expected.subtract(shortfall)
            found = physical.get(place, {})
            notes = set(expected) | set(found)
            gaps = {n: found.get(n, 0) - expected[n] for n in sorted(notes)
                    if found.get(n, 0) != expected[n]}
            if gaps:
                differences[place] = gaps
        return differences
