"""Fixtures for the simulator's tests: a manual clock and a loaded simulated dispenser."""

from __future__ import annotations

import pytest

from denomination.cassettes import Cassette
from kiosk_service.hardware import ManualClock, open_dispenser

#: Four CZK cassettes: 2000, 1000, 500 and 100 CZK notes.
CASSETTES = (
    Cassette("A", "CZK", 200000, 20, capacity=2000),
    Cassette("B", "CZK", 100000, 20, capacity=2000),
    Cassette("C", "CZK", 50000, 20, capacity=2000),
    Cassette("D", "CZK", 10000, 40, capacity=2000),
)


@pytest.fixture
def clock():
    return ManualClock()


@pytest.fixture
def cassettes():
    return CASSETTES


@pytest.fixture
def sim(clock, cassettes):
    """Return a function that opens `sim://?<query>` loaded with the standard cassettes."""
    opened = []

    def open_sim(query: str = "seed=1", **dependencies):
        dependencies.setdefault("cassettes", cassettes)
        device = open_dispenser(f"sim://?{query}", clock=clock, **dependencies)
        opened.append(device)
        return device

    yield open_sim
    for device in opened:
        device.close()
