"""The driver contract suite's fixtures: one dispenser per driver URL, loaded the same way.

Add real devices with CASHMIX_DRIVER_URLS="xfs4iot://... other://..." (space-separated).
The two simulator URLs cover a customer who takes the cash at once and one who is slower
than any timeout the suite uses.
"""

from __future__ import annotations

import os

import pytest

from denomination.cassettes import Cassette
from kiosk_service.hardware import ManualClock, open_dispenser

DRIVER_URLS = ["sim://?seed=1", "sim://?seed=2&take_after=600",
               *os.environ.get("CASHMIX_DRIVER_URLS", "").split()]

#: What the suite loads: three CZK cassettes (2000, 500 and 100 CZK notes).
CASSETTES = (
    Cassette("A", "CZK", 200000, 30, capacity=2000, low_threshold=5),
    Cassette("B", "CZK", 50000, 100, capacity=2000, low_threshold=10),
    Cassette("C", "CZK", 10000, 200, capacity=2000, low_threshold=20),
)


@pytest.fixture
def clock():
    return ManualClock()


@pytest.fixture
def cassettes():
    return CASSETTES


@pytest.fixture(params=DRIVER_URLS)
def dispenser(request, clock, cassettes):
    device = open_dispenser(request.param, clock=clock)
    device.load(cassettes)
    yield device
    device.close()
