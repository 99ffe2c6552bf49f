"""The ledger check: every note loaded has a place, the books agree with the journal and with
the device, no quote was paid twice, and no dispense is left in flight.

Three sources are compared. The journal, replayed from the terminal's import, says what each
cassette should hold (staff loads and adjustments set counts, each dispense entry takes off the
notes it newly counted). The dispense records say where every note that left a cassette went:
to a customer, the retract bin or the reject bin. The device's own counters (status()) say what
is in each cassette and bin now. Every disagreement is one sentence for staff.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from kiosk_service.devices import DispenserPool
from kiosk_service.hardware import DeviceStatus, DispenserError
from kiosk_service.hardware.clock import Clock
from kiosk_service.persistence.unit_of_work import SqlUnitOfWork
from kiosk_service.records import DispenseState
from kiosk_service.services.ledger_checks import (
    REPLAYED_KINDS,
    BinCheck,
    Money,
    add_places,
    against_device,
    notes_text,
    paid_twice,
    place_notes,
    replay_journal,
    stuck,
)

#: How long a dispense may stay in flight (its process driving the device) before it is stuck.
GRACE = timedelta(minutes=2)

@dataclass(frozen=True, slots=True)
class Audit:
    """One terminal's ledger: notes by place (denomination -> notes) and the discrepancies."""

    terminal_id: str
    currency: str
    loaded: Mapping[int, int]
    in_cassettes: Mapping[int, int]
    with_customers: Mapping[int, int]
    at_output: Mapping[int, int]
    reject_bin: Mapping[int, int]
    retract_bin: Mapping[int, int]
    dispenses: int
    notes_moved: int
    device_compared: bool
    discrepancies: tuple[str, ...] = field(default=())

    @property
    def ok(self) -> bool:
        """True when nothing disagrees."""
        return not self.discrepancies

    def summary(self) -> str:
        """Return the one-line summary of a terminal whose ledger balances."""
        placed = (f"{notes_text(self.in_cassettes, self.currency)} in cassettes, "
                  f"{notes_text(self.with_customers, self.currency)} with customers, "
                  f"{notes_text(add_places(self.reject_bin, self.retract_bin), self.currency)}"
                  " in bins")
        if any(self.at_output.values()):
            placed += f", {notes_text(self.at_output, self.currency)} at the output"
        device = ("counts equal the device's" if self.device_compared
                  else "device not compared")
        return (f"{self.terminal_id}: {notes_text(self.loaded, self.currency)} loaded: {placed}; "
                f"{self.dispenses} dispenses, {self.notes_moved} notes moved; {device}; "
                f"{len(self.discrepancies)} discrepancies")


def audit_all(*, uow: SqlUnitOfWork, clock: Clock, devices: DispenserPool | None,
              terminal_id: str | None = None, grace: timedelta = GRACE,
              bins: BinCheck = BinCheck.AT_LEAST) -> list[Audit]:
    """Return the audit of `terminal_id`, or of every terminal; raises NotFound (`not_found`)
    for a terminal that does not exist. `devices` None: the device is not compared."""
    with uow:
        ids = [terminal_id] if terminal_id else uow.terminals.ids()
        if terminal_id:
            uow.terminals.get(terminal_id)
    return [audit_terminal(tid, uow=uow, clock=clock, devices=devices, grace=grace, bins=bins)
            for tid in ids]


def audit_terminal(terminal_id: str, *, uow: SqlUnitOfWork, clock: Clock,
                   devices: DispenserPool | None, grace: timedelta = GRACE,
                   bins: BinCheck = BinCheck.AT_LEAST) -> Audit:
    """Return the terminal's ledger and every discrepancy found; raises NotFound.

    The device is read before and after the books; when it changed in between (a dispense
    ran) or a dispense is in flight, counts are not compared with it.
    """
    status, device_problem = _device_status(terminal_id, uow=uow, devices=devices)
    with uow:
        terminal = uow.terminals.get(terminal_id)
        entries = uow.journal.all(terminal_id, kinds=list(REPLAYED_KINDS))
        dispenses = uow.dispenses.all(terminal_id)
        authorizations = uow.authorizations.per_quote(terminal_id)
    problems: list[str] = [device_problem] if device_problem else []
    money = Money(terminal.currency)
    book = replay_journal(terminal, entries, money, problems)
    places = place_notes(dispenses, money, problems)
    problems += stuck(dispenses, now=clock.now(), grace=grace, money=money)
    problems += paid_twice(dispenses, entries, authorizations)
    for cassette in terminal.cassettes:
        picked = places.picked.get(cassette.id, 0)
        if book.out.get(cassette.id, 0) != picked:
            problems.append(f"Cassette {cassette.id}: the dispense records took {picked} "
                            f"notes out, the journal {book.out.get(cassette.id, 0)}.")
    in_flight = any(d.state == DispenseState.IN_FLIGHT for d in dispenses)
    compared = False
    if status is not None and not in_flight:
        after, _ = _device_status(terminal_id, uow=uow, devices=devices)
        if after is not None and after == status:
            problems += against_device(terminal, dispenses, status, places, money, bins)
            compared = True
    in_cassettes: Counter = Counter()
    for cassette in terminal.cassettes:
        in_cassettes[cassette.denomination] += cassette.count
    return Audit(terminal_id, terminal.currency, dict(book.loaded_notes), dict(in_cassettes),
                 dict(places.customers), dict(places.output), dict(places.reject),
                 dict(places.retract), len(dispenses), sum(places.picked.values()), compared,
                 tuple(problems))


def _device_status(terminal_id: str, *, uow: SqlUnitOfWork,
                   devices: DispenserPool | None) -> tuple[DeviceStatus | None, str | None]:
    if devices is None:
        return None, None
    with uow:
        terminal = uow.terminals.get(terminal_id)
    try:
        device = devices.get(terminal)
        with device.lock:
            return device.driver.status(), None
    except DispenserError as error:
        return None, (f"The dispenser of {terminal_id} cannot be read ({error.message}); "
                      "its counts were not compared.")


def as_json(audit: Audit) -> dict[str, Any]:
    """Return the audit as JSON-ready data (figures keyed by denomination as text)."""
    places = ("loaded", "in_cassettes", "with_customers", "at_output", "reject_bin",
              "retract_bin")
    return {"terminal": audit.terminal_id, "currency": audit.currency,
            **{p: {str(d): n for d, n in getattr(audit, p).items() if n} for p in places},
            "dispenses": audit.dispenses, "notes_moved": audit.notes_moved,
            "device_compared": audit.device_compared,
            "discrepancies": list(audit.discrepancies)}
