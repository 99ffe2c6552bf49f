"""Print a scenario's run as plain-text tables: withdrawals, cassettes, and where notes went."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TextIO

from denomination.catalogue import default_catalogue
from kiosk_service.formatting import format_money
from sim.runner import RunReport

_PLACES = ("cassettes", "stack", "transport", "reject_bin", "retract_bin", "taken")


def print_report(report: RunReport, out: TextIO) -> None:
    """Write the three tables and the verdict of `report` to `out`."""
    scenario = report.scenario
    currency = default_catalogue().currency(scenario.currency)

    def money(value: int) -> str:
        return format_money(value, currency)

    out.write(f"Scenario: {scenario.name} ({scenario.currency})\n")
    if scenario.description:
        out.write(f"  {scenario.description}\n")
    out.write(f"  device: {scenario.url()}\n\n")
    rows = [[str(o.number), money(o.withdrawal.amount),
             (o.withdrawal.preference or {}).get("kind", "fewest"),
             " + ".join(money(d) if n == 1 else f"{n} x {money(d)}"
                        for d, n in o.plan.items() if n) or "-",
             o.ending, money(o.taken), str(o.rejected), str(o.retracted),
             ", ".join(o.events) or "-"] for o in report.outcomes]
    _table(out, ["#", "amount", "wish", "plan", "outcome", "taken", "rejected", "retracted",
                 "events"], rows)
    out.write("\n")
    rows = [[u.id, money(u.denomination), str(u.counters.initial), str(u.count),
             str(_physical(report, u.id)), str(u.shortfall), str(u.status), str(u.fill)]
            for u in report.status.cassettes]
    _table(out, ["cassette", "note", "declared", "device count", "physical", "shortfall",
                 "status", "fill"], rows)
    out.write("\n")
    notes = sorted(report.loaded, key=lambda n: (n[0], -n[1]))
    rows = []
    for note in notes:
        found = [report.physical.get(place, {}).get(note, 0) for place in _PLACES]
        missing = sum(gaps.get(note, 0) for gaps in report.unaccounted.values())
        rows.append([money(note[1]), str(report.loaded[note]), *map(str, found), str(-missing)])
    _table(out, ["note", "loaded", *_PLACES, "unaccounted"], rows)
    out.write(f"\nsimulated time: {report.elapsed}\n")
    for note, gap in report.mismatch.items():
        out.write(f"count mismatch not yet found by the device: {money(note[1])} notes, "
                  f"{gap:+d} notes against the declared count\n")
    if report.ok:
        out.write("OK: every note is accounted for.\n")
    else:
        for place, gaps in report.unaccounted.items():
            for note, gap in gaps.items():
                out.write(f"UNACCOUNTED: {place} {money(note[1])}: {gap:+d} notes "
                          "against the driver's reports\n")


def _physical(report: RunReport, cassette_id: str) -> str:
    return str(report.cassette_notes.get(cassette_id, "?"))


def _table(out: TextIO, header: Sequence[str], rows: Sequence[Sequence[str]]) -> None:
    widths = [max(len(str(cell)) for cell in column) for column in zip(header, *rows, strict=False)]
    for row in (header, ["-" * w for w in widths], *rows):
        out.write("  ".join(str(cell).ljust(w) for cell, w in zip(row, widths, strict=True))
                  .rstrip() + "\n")
