"""The ledger check's comparisons: the journal replayed into cassette counts, every note that
left a cassette given its place, stuck and twice-paid dispenses, and the books against the
device's counters. Each disagreement is one sentence for staff (audit.py gathers them)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum

from kiosk_service.formatting import format_money
from kiosk_service.hardware import DeviceStatus, OutputPosition
from kiosk_service.records import Dispense, DispenseState, JournalEntry, Terminal

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


@dataclass
class Book:
    """The journal's replay: cassette counts, staff loads and dispensed notes."""

    counts: dict[str, int] = field(default_factory=dict)
    denominations: dict[str, int] = field(default_factory=dict)
    loaded: Counter = field(default_factory=Counter)          # cassette -> net notes loaded
    loaded_notes: Counter = field(default_factory=Counter)    # denomination -> net notes
    out: Counter = field(default_factory=Counter)             # cassette -> notes taken off


@dataclass
class Places:
    """Where the dispense records put every note that left a cassette (by denomination)."""

    picked: Counter = field(default_factory=Counter)          # cassette -> notes
    customers: Counter = field(default_factory=Counter)
    output: Counter = field(default_factory=Counter)
    reject: Counter = field(default_factory=Counter)
    retract: Counter = field(default_factory=Counter)


class Money:
    def __init__(self, currency: str):
        self.currency = currency

    def __call__(self, value: int) -> str:
        return format_money(value, self.currency)


def replay_journal(terminal: Terminal, entries: Iterable[JournalEntry], money: Money,
            problems: list[str]) -> Book:
    """Replay the journal into cassette counts; note where it disagrees with itself or the
    books (a count changed without an entry)."""
    book = Book()
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


def _set_count(book: Book, cassette_id: str, count: int, denomination: int) -> None:
    was = book.counts.get(cassette_id, 0)
    old = book.denominations.get(cassette_id, denomination)
    # A changed denomination takes the old notes out and puts the new ones in.
    book.loaded[cassette_id] += count - was
    book.loaded_notes[old] -= was
    book.loaded_notes[denomination] += count
    book.counts[cassette_id] = count
    book.denominations[cassette_id] = denomination


def place_notes(dispenses: Iterable[Dispense], money: Money, problems: list[str]) -> Places:
    """Put every note each dispense record took out somewhere; note records that lose one."""
    places = Places()
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


def stuck(dispenses: Iterable[Dispense], *, now: datetime, grace: timedelta,
           money: Money) -> list[str]:
    return [f"Dispense {d.id} ({money(d.amount.value)}) has been in flight since "
            f"{d.updated_at:%Y-%m-%d %H:%M:%S} UTC and no process settles it."
            for d in dispenses
            if d.state == DispenseState.IN_FLIGHT and now - d.updated_at > grace]


def paid_twice(dispenses: Iterable[Dispense], entries: Iterable[JournalEntry],
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


def against_device(terminal: Terminal, dispenses: list[Dispense], status: DeviceStatus,
                    places: Places, money: Money, bins: BinCheck) -> list[str]:
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


def add_places(*places: Mapping[int, int]) -> dict[int, int]:
    total: Counter = Counter()
    for place in places:
        total.update(place)
    return dict(total)


def notes_text(notes: Mapping[int, int], currency: str) -> str:
    count = sum(notes.values())
    value = sum(d * n for d, n in notes.items())
    return f"{count:,} notes ({format_money(value, currency)})"
