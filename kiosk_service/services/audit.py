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
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from kiosk_service.devices import DispenserPool
from kiosk_service.formatting import format_money
from kiosk_service.hardware import DeviceStatus, DispenserError, OutputPosition
from kiosk_service.hardware.clock import Clock
from kiosk_service.persistence.unit_of_work import SqlUnitOfWork
from kiosk_service.records import Dispense, DispenseState, JournalEntry, Terminal

#: How long a dispense may stay in flight (its process driving the device) before it is stuck.
GRACE = timedelta(minutes=2)

#: Journal kinds whose `details.notes` record a dispense's notes (cumulative per dispense).
DISPENSE_KINDS = ("dispense_finished", "dispense_settled", "dispense_retracted",
                  "dispense_recovered")
#: Journal kinds in which staff set a cassette's count (`before` and `after`).
STAFF_KINDS = ("cassette_replenished", "cassette_adjusted")
REPLAYED_KINDS = ("terminal_imported", "cassette_count_mismatch", "dispense_started",
                  *STAFF_KINDS, *DISPENSE_KINDS)


class BinCheck(StrEnum):
    """How the device's bins are compared with the dispense records.

    `exact`: the device's bins were empty when the service started using it (a campaign);
    `at_least`: they hold at least what the records put there (bins emptied by staff show);
    `ignore`: not compared.
    """

    EXACT = "exact"
    AT_LEAST = "at_least"
    IGNORE = "ignore"


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
        placed = (f"{_notes(self.in_cassettes, self.currency)} in cassettes, "
                  f"{_notes(self.with_customers, self.currency)} with customers, "
                  f"{_notes(_add(self.reject_bin, self.retract_bin), self.currency)} in bins")
        if any(self.at_output.values()):
            placed += f", {_notes(self.at_output, self.currency)} at the output"
        device = ("counts equal the device's" if self.device_compared
                  else "device not compared")
        return (f"{self.terminal_id}: {_notes(self.loaded, self.currency)} loaded: {placed}; "
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
    money = _Money(terminal.currency)
    book = _replay(terminal, entries, money, problems)
    places = _place(dispenses, money, problems)
    problems += _stuck(dispenses, now=clock.now(), grace=grace, money=money)
    problems += _paid_twice(dispenses, entries, authorizations)
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
            problems += _against_device(terminal, dispenses, status, places, money, bins)
            compared = True
    in_cassettes: Counter = Counter()
    for cassette in terminal.cassettes:
        in_cassettes[cassette.denomination] += cassette.count
    return Audit(terminal_id, terminal.currency, dict(book.loaded_notes), dict(in_cassettes),
                 dict(places.customers), dict(places.output), dict(places.reject),
                 dict(places.retract), len(dispenses), sum(places.picked.values()), compared,
                 tuple(problems))


@dataclass
class _Book:
    """The journal's replay: cassette counts, staff loads and dispensed notes."""

    counts: dict[str, int] = field(default_factory=dict)
    denominations: dict[str, int] = field(default_factory=dict)
    loaded: Counter = field(default_factory=Counter)          # cassette -> net notes loaded
    loaded_notes: Counter = field(default_factory=Counter)    # denomination -> net notes
    out: Counter = field(default_factory=Counter)             # cassette -> notes taken off


@dataclass
class _Places:
    """Where the dispense records put every note that left a cassette (by denomination)."""

    picked: Counter = field(default_factory=Counter)          # cassette -> notes
    customers: Counter = field(default_factory=Counter)
    output: Counter = field(default_factory=Counter)
    reject: Counter = field(default_factory=Counter)
    retract: Counter = field(default_factory=Counter)


class _Money:
    def __init__(self, currency: str):
        self.currency = currency

    def __call__(self, value: int) -> str:
        return format_money(value, self.currency)


def _replay(terminal: Terminal, entries: Iterable[JournalEntry], money: _Money,
            problems: list[str]) -> _Book:
    """Replay the journal into cassette counts; note where it disagrees with itself or the
    books (a count changed without an entry)."""
    book = _Book()
    recorded: dict[str, dict[str, int]] = {}        # dispense -> cassette -> picked so far
    for entry in entries:
        if entry.kind == "terminal_imported":
            cassettes = (entry.after or {}).get("cassettes", {})
            for cid, data in cassettes.items():
                _set_count(book, cid, int(data["count"]), int(data["denomination"]))
            for cid in set(book.counts) - set(cassettes):
                _set_count(book, cid, 0, book.denominations[cid])
                del book.counts[cid]
        elif entry.kind in STAFF_KINDS:
            cid, before, after = entry.subject or "", entry.before or {}, entry.after or {}
            if cid in book.counts and int(before.get("count", -1)) != book.counts[cid]:
                problems.append(
                    f"Journal entry {entry.id} ({entry.kind}) says cassette {cid} held "
                    f"{before.get('count')} notes; the entries before it add up to "
                    f"{book.counts[cid]}: a count changed without a journal entry.")
            book.counts[cid] = int(before.get("count", 0))
            _set_count(book, cid, int(after["count"]), int(after["denomination"]))
        elif entry.kind == "cassette_count_mismatch":
            cid = entry.subject or ""
            missing = int((entry.before or {}).get("count", 0)) - int(
                (entry.after or {}).get("count", 0))
            # Notes declared at a load that were never there: a load that did not happen.
            book.counts[cid] = book.counts.get(cid, 0) - missing
            book.loaded[cid] -= missing
            book.loaded_notes[book.denominations.get(cid, 0)] -= missing
        elif entry.kind in DISPENSE_KINDS:
            seen = recorded.setdefault(entry.subject or "", {})
            for note in (entry.details or {}).get("notes", []):
                cid, picked = note["cassette_id"], int(note["picked"])
                new = picked - seen.get(cid, 0)
                seen[cid] = picked
                if cid in book.counts:
                    book.counts[cid] = max(0, book.counts[cid] - new)
                book.out[cid] += new
    for cassette in terminal.cassettes:
        expected = book.counts.get(cassette.id)
        if expected is None:
            problems.append(f"Cassette {cassette.id} has no journal entry that loaded it.")
            continue
        if expected != cassette.count:
            problems.append(
                f"Cassette {cassette.id}: the journal explains {expected} notes "
                f"({money(expected * cassette.denomination)}), the books hold "
                f"{cassette.count} ({money(cassette.count * cassette.denomination)}).")
        balance = book.loaded[cassette.id] - book.out[cassette.id]
        if balance != cassette.count:
            problems.append(
                f"Cassette {cassette.id}: {book.loaded[cassette.id]} notes loaded less "
                f"{book.out[cassette.id]} dispensed leaves {balance}, the books hold "
                f"{cassette.count}: {abs(balance - cassette.count)} notes "
                f"({money(abs(balance - cassette.count) * cassette.denomination)}) "
                "have no place.")
    return book


def _set_count(book: _Book, cassette_id: str, count: int, denomination: int) -> None:
    was = book.counts.get(cassette_id, 0)
    old = book.denominations.get(cassette_id, denomination)
    # A changed denomination takes the old notes out and puts the new ones in.
    book.loaded[cassette_id] += count - was
    book.loaded_notes[old] -= was
    book.loaded_notes[denomination] += count
    book.counts[cassette_id] = count
    book.denominations[cassette_id] = denomination


def _place(dispenses: Iterable[Dispense], money: _Money, problems: list[str]) -> _Places:
    """Put every note each dispense record took out somewhere; note records that lose one."""
    places = _Places()
    for dispense in dispenses:
        for note in dispense.notes:
            places.picked[note.cassette_id] += note.picked
            d = note.denomination
            delivered = note.presented - note.retracted
            if dispense.state == DispenseState.PRESENTED:
                places.output[d] += delivered
            else:
                places.customers[d] += delivered
            places.retract[d] += note.retracted
            # Jammed notes are cleared to the reject bin by the next reset; a stack left in
            # the stacker goes there too.
            places.reject[d] += note.rejected + note.unknown + note.stacked - note.presented
            unplaced = note.picked - note.stacked - note.rejected - note.unknown
            wrong = (unplaced or note.presented > note.stacked
                     or note.retracted > note.presented or note.taken > delivered)
            if wrong:
                problems.append(
                    f"Dispense {dispense.id} ({money(dispense.amount.value)}), cassette "
                    f"{note.cassette_id}: {note.picked} notes picked do not add up to "
                    f"{note.stacked} stacked + {note.rejected} rejected + {note.unknown} lost "
                    f"in the transport, with {note.presented} presented, {note.taken} taken "
                    f"and {note.retracted} retracted.")
    return places


def _stuck(dispenses: Iterable[Dispense], *, now: datetime, grace: timedelta,
           money: _Money) -> list[str]:
    return [f"Dispense {d.id} ({money(d.amount.value)}) has been in flight since "
            f"{d.updated_at:%Y-%m-%d %H:%M:%S} UTC and no process settles it."
            for d in dispenses
            if d.state == DispenseState.IN_FLIGHT and now - d.updated_at > grace]


def _paid_twice(dispenses: Iterable[Dispense], entries: Iterable[JournalEntry],
                authorizations: Mapping[str, int]) -> list[str]:
    problems = []
    rows = Counter(d.quote_id for d in dispenses)
    started = Counter((e.details or {}).get("quote") for e in entries
                      if e.kind == "dispense_started")
    for quote in sorted(set(rows) | set(started), key=str):
        if rows[quote] > 1 or started[quote] > 1:
            problems.append(f"Quote {quote} was dispensed {max(rows[quote], started[quote])} "
                            "times.")
    for quote, n in sorted(authorizations.items()):
        if n > 1:
            problems.append(f"Quote {quote} spent {n} host authorizations.")
    return problems


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


def _against_device(terminal: Terminal, dispenses: list[Dispense], status: DeviceStatus,
                    places: _Places, money: _Money, bins: BinCheck) -> list[str]:
    problems = []
    for cassette in terminal.cassettes:
        try:
            unit = status.cassette(cassette.id)
        except KeyError:
            problems.append(f"The device has no cassette {cassette.id}.")
            continue
        if unit.count != cassette.count:
            problems.append(
                f"Cassette {cassette.id}: the service counts {cassette.count} notes "
                f"({money(cassette.count * cassette.denomination)}), the device "
                f"{unit.count} ({money(unit.count * cassette.denomination)}).")
    presented = any(d.state == DispenseState.PRESENTED for d in dispenses[-1:])
    if status.position == OutputPosition.STACKED:
        problems.append("Notes wait in the device's stacker and no dispense accounts for "
                        "them; reject them.")
    elif status.position == OutputPosition.PRESENTED and not presented:
        problems.append("Notes are presented at the output and no dispense accounts for them.")
    if bins != BinCheck.IGNORE:
        for name, counted, expected in (
                ("reject", status.reject_bin.by_denomination(terminal.currency), places.reject),
                ("retract", status.retract_bin.by_denomination(terminal.currency),
                 places.retract)):
            for d in sorted(set(counted) | {k for k, v in expected.items() if v}):
                there, owed = counted.get(d, 0), expected.get(d, 0)
                if there < owed or (bins == BinCheck.EXACT and there != owed):
                    problems.append(
                        f"The {name} bin holds {there} notes of {money(d)}; the dispenses put "
                        f"{owed} there.")
    return problems


def _add(*places: Mapping[int, int]) -> dict[int, int]:
    total: Counter = Counter()
    for place in places:
        total.update(place)
    return dict(total)


def _notes(notes: Mapping[int, int], currency: str) -> str:
    count = sum(notes.values())
    value = sum(d * n for d, n in notes.items())
    return f"{count:,} notes ({format_money(value, currency)})"


def as_json(audit: Audit) -> dict[str, Any]:
    """Return the audit as JSON-ready data (figures keyed by denomination as text)."""
    places = ("loaded", "in_cassettes", "with_customers", "at_output", "reject_bin",
              "retract_bin")
    return {"terminal": audit.terminal_id, "currency": audit.currency,
            **{p: {str(d): n for d, n in getattr(audit, p).items() if n} for p in places},
            "dispenses": audit.dispenses, "notes_moved": audit.notes_moved,
            "device_compared": audit.device_compared,
            "discrepancies": list(audit.discrepancies)}
