"""What an operation did, note by note per cassette, and the device events it raised."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum

from kiosk_service.hardware.status import OutputPosition

#: The movements a NoteMovement counts, in the order notes travel.
MOVEMENTS = ("picked", "rejected", "unknown", "stacked", "presented", "taken", "retracted")


class Operation(StrEnum):
    """The dispenser operations (XFS4IoT command names in comments)."""

    LOAD = "load"                  # Storage.SetStorage (staff replenishment)
    DISPENSE = "dispense"          # CashDispenser.Dispense, application mix
    PRESENT = "present"            # CashDispenser.Present
    WAIT_FOR_TAKE = "wait_for_take"  # waiting for CashManagement.ItemsTakenEvent
    RETRACT = "retract"            # CashManagement.Retract to the retract bin
    REJECT = "reject"              # CashDispenser.Reject
    RESET = "reset"                # CashManagement.Reset


class EventKind(StrEnum):
    """Things the device noticed during an operation (XFS4IoT event in comments)."""

    DOUBLE_PICK = "double_pick"        # NoteErrorEvent doubleNote: both notes to the reject bin
    PICK_FAILURE = "pick_failure"      # NoteErrorEvent otherNoteError: note to the reject bin
    CASSETTE_EMPTY = "cassette_empty"  # StorageErrorEvent empty: ran out before the plan did
    JAM = "jam"                        # StorageErrorEvent error: cassette now inoperative
    CASSETTE_MISSING = "cassette_missing"  # StorageErrorEvent missing
    SHUTTER_JAMMED = "shutter_jammed"  # ShutterStatusChangedEvent jammed
    ITEMS_PRESENTED = "items_presented"  # ItemsPresentedEvent
    ITEMS_TAKEN = "items_taken"        # ItemsTakenEvent
    TAKE_TIMEOUT = "take_timeout"      # the customer did not take the notes in time
    AUTO_RETRACT = "auto_retract"      # the device retracted the stack after the timeout
    POWER_LOST = "power_lost"          # the operation was cut by a power loss
    TRANSPORT_CLEARED = "transport_cleared"  # reset moved jammed notes to the reject bin


@dataclass(frozen=True, slots=True)
class DeviceEvent:
    """One thing the device noticed: what, on which cassette (if any), how many notes."""

    kind: EventKind
    cassette: str | None = None
    notes: int = 0


@dataclass(frozen=True, slots=True)
class NoteMovement:
    """How the notes of one cassette moved in one operation.

    In a dispense `picked == rejected + unknown + stacked`: every note that left the cassette
    went to the reject bin, stuck in the transport (a jam) or reached the stacker. `requested`
    is what the plan asked of the cassette. Later operations move the stacked notes on:
    `presented`, then `taken` or `retracted`; `rejected` in a reject/reset is stacker or
    transport notes sent to the reject bin.
    """

    cassette: str
    currency: str
    denomination: int
    requested: int = 0
    picked: int = 0
    rejected: int = 0
    unknown: int = 0
    stacked: int = 0
    presented: int = 0
    taken: int = 0
    retracted: int = 0

    def value(self, movement: str) -> int:
        """Return the money (minor units) that made one movement, e.g. value('taken')."""
        return getattr(self, movement) * self.denomination


@dataclass(frozen=True, slots=True)
class OperationResult:
    """Exactly what one operation did.

    `notes` maps cassette id -> NoteMovement for every cassette whose notes moved (or were
    requested). `position` is the output position after the operation; `completed` is False
    when the operation stopped part-way (the result then rides on the raised error's
    `.result`). `recovered` is set by `reset()` after a power loss: the partial result of the
    operation the power cut.
    """

    operation: Operation
    notes: Mapping[str, NoteMovement] = field(default_factory=dict)
    position: OutputPosition = OutputPosition.IDLE
    completed: bool = True
    events: tuple[DeviceEvent, ...] = ()
    recovered: OperationResult | None = None

    @property
    def taken(self) -> bool:
        """True when the customer took the notes."""
        return self.position == OutputPosition.TAKEN

    def total(self, movement: str) -> int:
        """Return how many notes made `movement` (one of MOVEMENTS) across all cassettes."""
        if movement not in MOVEMENTS and movement != "requested":
            raise ValueError(f"unknown movement {movement!r}; one of {MOVEMENTS}")
        return sum(getattr(m, movement) for m in self.notes.values())

    def amount(self, movement: str) -> int:
        """Return the money (minor units) that made `movement`, e.g. amount('taken')."""
        return sum(m.value(movement) for m in self.notes.values())

    def by_denomination(self, movement: str, currency: str | None = None) -> dict[int, int]:
        """Return denomination -> notes that made `movement` (no zero entries), optionally of
        one currency only."""
        counts: dict[int, int] = {}
        for m in self.notes.values():
            if getattr(m, movement) and currency in (None, m.currency):
                counts[m.denomination] = counts.get(m.denomination, 0) + getattr(m, movement)
        return counts

    def events_of(self, kind: EventKind) -> tuple[DeviceEvent, ...]:
        """Return the events of one kind, in order."""
        return tuple(e for e in self.events if e.kind == kind)

