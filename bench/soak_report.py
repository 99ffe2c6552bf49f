"""The soak's figures: what each minute saw (requests by outcome, latencies, RSS), its line,
and at the end the summary and the verdicts that fail the run."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from bench.harness import percentile


@dataclass
class Minute:
    """What one minute of the soak saw (requests counted when they complete)."""

    requests: int = 0
    outcomes: Counter = field(default_factory=Counter)   # ok, 4xx, 4xx?, 5xx, lock, dropped
    codes: Counter = field(default_factory=Counter)      # 4xx and 5xx by body code
    latencies: dict[str, list[float]] = field(default_factory=lambda: {"quote": [],
                                                                       "dispense": []})
    shed: int = 0
    dispenses: int = 0
    events: Counter = field(default_factory=Counter)     # dispense states and device errors
    replenishments: int = 0
    server_rss: int = 0               # kB
    device_rss: int = 0

    def p(self, kind: str, q: float) -> float:
        return percentile(self.latencies[kind], q) * 1000

    def line(self, number: int) -> str:
        o = self.outcomes
        return (f"min {number:3d}: {self.requests:5d} req ({self.requests / 60:4.1f}/s) "
                f"2xx {o['ok']:5d} 4xx {o['4xx']:4d} 4xx? {o['4xx?']} 5xx {o['5xx']} "
                f"lock {o['lock']} drop {o['dropped']} shed {self.shed} | quote p50 "
                f"{self.p('quote', 50):5.0f} p99 {self.p('quote', 99):5.0f} ms | dispense "
                f"({self.dispenses}) p50 {self.p('dispense', 50):5.0f} p99 "
                f"{self.p('dispense', 99):5.0f} ms {_events(self.events)} | replenish "
                f"{self.replenishments} | RSS server {self.server_rss / 1024:6.1f} MB device "
                f"{self.device_rss / 1024:5.1f} MB")


@dataclass
class Result:
    """One database's soak: its minutes, the verdicts and why it failed (if it did)."""

    database: str
    minutes: list[Minute]
    audit: str
    audit_ok: bool
    tracebacks: int
    processes: str
    failures: list[str]

    @property
    def ok(self) -> bool:
        return not self.failures

    def total(self, outcome: str) -> int:
        return sum(m.outcomes[outcome] for m in self.minutes)


def verdicts(result: Result, unexpected: list[str], max_rss: float,
             max_p99: float) -> list[str]:
    """Return why the soak failed: 5xx, lock or timeout errors, dropped connections, an
    unclean ledger, tracebacks, RSS or p99 growing past the ratios (first to last minute)."""
    failures = []
    for outcome, name in (("5xx", "5xx"), ("lock", "lock/timeout errors"),
                          ("dropped", "dropped connections")):
        if result.total(outcome):
            failures.append(f"{result.total(outcome)} {name}")
    if not result.audit_ok:
        failures.append("the ledger check found discrepancies")
    if result.tracebacks:
        failures.append(f"{result.tracebacks} tracebacks in the service log")
    first, last = result.minutes[0], result.minutes[-1]
    if _ratio(last.server_rss, first.server_rss) > max_rss:
        failures.append(f"server RSS grew {_ratio(last.server_rss, first.server_rss):.2f}x")
    for kind in ("quote", "dispense"):
        grown = _ratio(last.p(kind, 99), first.p(kind, 99))
        if grown > max_p99:
            failures.append(f"{kind} p99 grew {grown:.2f}x")
    return failures


def summary(result: Result, unexpected: list[str]) -> str:
    first, last = result.minutes[0], result.minutes[-1]
    codes = sum((m.codes for m in result.minutes), Counter())
    lines = [
        f"{result.database}: {len(result.minutes)} minutes, "
        f"{sum(m.requests for m in result.minutes)} requests, "
        f"{sum(m.dispenses for m in result.minutes)} dispenses, "
        f"{sum(m.replenishments for m in result.minutes)} replenishments, "
        f"{sum(m.shed for m in result.minutes)} arrivals shed",
        f"  last/first minute: server RSS {_ratio(last.server_rss, first.server_rss):.2f} "
        f"({first.server_rss / 1024:.1f} -> {last.server_rss / 1024:.1f} MB), device RSS "
        f"{_ratio(last.device_rss, first.device_rss):.2f}, quote p99 "
        f"{_ratio(last.p('quote', 99), first.p('quote', 99)):.2f}, dispense p99 "
        f"{_ratio(last.p('dispense', 99), first.p('dispense', 99)):.2f}",
        f"  5xx {result.total('5xx')} (must be 0), lock/timeout errors {result.total('lock')} "
        f"(must be 0), dropped connections {result.total('dropped')}, unexpected 4xx "
        f"{result.total('4xx?')}, expected 4xx {result.total('4xx')}",
        f"  error codes: {', '.join(f'{k} {v}' for k, v in sorted(codes.items())) or 'none'}",
        f"  ledger check: {'clean' if result.audit_ok else 'DISCREPANCIES'}: "
        + result.audit.replace("\n", "\n    "),
        f"  service log tracebacks: {result.tracebacks}",
        f"  verdict: {'PASS' if result.ok else 'FAIL: ' + '; '.join(result.failures)}"]
    lines += [f"  - {note}" for note in unexpected[:20]]
    return "\n".join(lines)


def _events(events: Counter) -> str:
    return "[" + " ".join(f"{k} {v}" for k, v in sorted(events.items())) + "]"


def _ratio(last: float, first: float) -> float:
    return last / first if first else (1.0 if not last else float("inf"))
