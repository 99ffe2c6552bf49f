"""Prometheus metrics, one registry per app: latency, quotes, notes dispensed, cassette levels.

The `terminal` label names each terminal only with `per_terminal` (METRICS_PER_TERMINAL):
for a fleet of thousands, one series per terminal, outcome and denomination would swamp the
scraper, so by default every terminal counts under `terminal="all"` and the cassette gauges
are the fleet's sums. The label set stays the same either way, so dashboards work on both.
"""

from __future__ import annotations

from collections import Counter as Tally
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

from denomination.cassettes import Cassette

#: Latency buckets (seconds): quotes should land well under 30 ms.
LATENCY_BUCKETS = (0.002, 0.005, 0.01, 0.02, 0.03, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 10.0)
#: The `terminal` (and `cassette`) label's value when terminals are not told apart.
FLEET = "all"

CassetteLevels = Callable[[], Iterable[tuple[str, Cassette]]]


class CassetteLevelCollector(Collector):
    """Reads the cassettes from the database at scrape time: levels are never stale."""

    def __init__(self, read: CassetteLevels, per_terminal: bool):
        self.read, self.per_terminal = read, per_terminal

    def collect(self):
        notes = GaugeMetricFamily("cashmix_cassette_notes", "Notes in a cassette.",
                                  labels=["terminal", "cassette", "currency", "denomination",
                                          "status"])
        units = GaugeMetricFamily("cashmix_cassettes", "Cassettes by fill level.",
                                  labels=["terminal", "currency", "fill"])
        summed: Tally = Tally()
        fills: Tally = Tally()
        for terminal_id, cassette in self.read():
            terminal = terminal_id if self.per_terminal else FLEET
            unit = cassette.id if self.per_terminal else FLEET
            summed[(terminal, unit, cassette.currency, str(cassette.denomination),
                    str(cassette.status))] += cassette.count
            fills[(terminal, cassette.currency, str(cassette.fill))] += 1
        for labels, count in summed.items():
            notes.add_metric(list(labels), count)
        for labels, count in fills.items():
            units.add_metric(list(labels), count)
        yield notes
        yield units


class TerminalCounter:
    """A counter whose first label is the terminal, kept or folded into FLEET."""

    def __init__(self, counter: Counter, per_terminal: bool):
        self.counter, self.per_terminal = counter, per_terminal

    def labels(self, terminal: str, *rest: str):
        """Return the child for (terminal, *rest), as Counter.labels does."""
        return self.counter.labels(terminal if self.per_terminal else FLEET, *rest)


@dataclass
class Metrics:
    """The app's instruments."""

    registry: CollectorRegistry
    request_latency: Histogram
    quotes: TerminalCounter
    notes_dispensed: TerminalCounter
    dispenses: TerminalCounter
    plans: Counter
    per_terminal: bool = False

    @classmethod
    def create(cls, *, per_terminal: bool = False) -> Metrics:
        """Return fresh instruments in a registry of their own."""
        registry = CollectorRegistry()
        return cls(
            registry,
            Histogram("cashmix_http_request_duration_seconds", "HTTP request latency.",
                      ["method", "endpoint", "status"], buckets=LATENCY_BUCKETS,
                      registry=registry),
            TerminalCounter(Counter("cashmix_quotes", "Quotes by outcome and preference kind.",
                                    ["terminal", "outcome", "kind"], registry=registry),
                            per_terminal),
            TerminalCounter(Counter("cashmix_notes_dispensed",
                                    "Notes stacked for customers, by denomination.",
                                    ["terminal", "currency", "denomination"], registry=registry),
                            per_terminal),
            TerminalCounter(Counter("cashmix_dispenses", "Dispenses by outcome.",
                                    ["terminal", "outcome"], registry=registry), per_terminal),
            Counter("cashmix_plans", "Quoted mixes by what the optimiser proved of them "
                    "(optimal, or feasible when its time ran out first).", ["status"],
                    registry=registry),
            per_terminal,
        )

    def watch_cassettes(self, read: CassetteLevels) -> None:
        """Report cassette levels, read by `read` at each scrape."""
        self.registry.register(CassetteLevelCollector(read, self.per_terminal))

    def exposition(self) -> bytes:
        """Return the text exposition format of every metric."""
        return generate_latest(self.registry)
