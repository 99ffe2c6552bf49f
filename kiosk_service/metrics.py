"""Prometheus metrics, one registry per app: latency, quotes, notes dispensed, cassette levels."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

from denomination.cassettes import Cassette

#: Latency buckets (seconds): quotes should land well under 30 ms.
LATENCY_BUCKETS = (0.002, 0.005, 0.01, 0.02, 0.03, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 10.0)

CassetteLevels = Callable[[], Iterable[tuple[str, Cassette]]]


class CassetteLevelCollector(Collector):
    """Reads the cassettes from the database at scrape time: levels are never stale."""

    def __init__(self, read: CassetteLevels):
        self.read = read

    def collect(self):
        notes = GaugeMetricFamily("cashmix_cassette_notes", "Notes in a cassette.",
                                  labels=["terminal", "cassette", "currency", "denomination",
                                          "status"])
        for terminal_id, cassette in self.read():
            notes.add_metric([terminal_id, cassette.id, cassette.currency,
                              str(cassette.denomination), str(cassette.status)], cassette.count)
        yield notes


@dataclass
class Metrics:
    """The app's instruments."""

    registry: CollectorRegistry
    request_latency: Histogram
    quotes: Counter
    notes_dispensed: Counter
    dispenses: Counter

    @classmethod
    def create(cls) -> Metrics:
        """Return fresh instruments in a registry of their own."""
        registry = CollectorRegistry()
        return cls(
            registry,
            Histogram("cashmix_http_request_duration_seconds", "HTTP request latency.",
                      ["method", "endpoint", "status"], buckets=LATENCY_BUCKETS,
                      registry=registry),
            Counter("cashmix_quotes", "Quotes by outcome and preference kind.",
                    ["terminal", "outcome", "kind"], registry=registry),
            Counter("cashmix_notes_dispensed", "Notes stacked for customers, by denomination.",
                    ["terminal", "currency", "denomination"], registry=registry),
            Counter("cashmix_dispenses", "Dispenses by outcome.", ["terminal", "outcome"],
                    registry=registry),
        )

    def watch_cassettes(self, read: CassetteLevels) -> None:
        """Report cassette levels, read by `read` at each scrape."""
        self.registry.register(CassetteLevelCollector(read))

    def exposition(self) -> bytes:
        """Return the text exposition format of every metric."""
        return generate_latest(self.registry)
