"""The driver contract suite's fixtures: one dispenser per driver URL, loaded the same way.

Add real devices with CASHMIX_DRIVER_URLS="xfs4iot://... other://..." (space-separated).
The two simulator URLs cover a customer who takes the cash at once and one who is slower
than any timeout the suite uses. The `xfs4iot://` driver runs against `kiosk-sim xfs4iot` in
another process, once per dialect (a customer who takes after a second); each test starts from an
idle device with the suite's cassettes loaded.
"""

from __future__ import annotations

import os

import pytest

from denomination.cassettes import Cassette
from kiosk_service.hardware import ManualClock, open_dispenser
from kiosk_service.hardware.cycle import bring_to_idle
from tests.xfs4iot.endpoint import endpoint_process, terminal_file

DIALECTS = ("2021-1", "2024-3")
DRIVER_URLS = ["sim://?seed=1", "sim://?seed=2&take_after=600",
               *(f"xfs4iot-endpoint:{dialect}" for dialect in DIALECTS),
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


@pytest.fixture(scope="session")
def endpoints(tmp_path_factory):
    """One `kiosk-sim xfs4iot` process per dialect, started on first use."""
    started, stack = {}, []

    def address(dialect: str) -> str:
        if dialect not in started:
            terminal = terminal_file(tmp_path_factory.mktemp(f"xfs-{dialect}"), CASSETTES)
            context = endpoint_process(terminal, dialect=dialect, extra=["--take-after", "1"])
            started[dialect], _ = context.__enter__()
            stack.append(context)
        return started[dialect]
    yield address
    for context in reversed(stack):
        context.__exit__(None, None, None)


def driver_url(param: str, endpoints) -> str:
    if param.startswith("xfs4iot-endpoint:"):
        dialect = param.partition(":")[2]
        return f"xfs4iot://{endpoints(dialect)}/xfs4iot/v1.0?dialect={dialect}&timeout=10"
    return param


@pytest.fixture(params=DRIVER_URLS)
def dispenser(request, clock, cassettes, endpoints):
    device = open_dispenser(driver_url(request.param, endpoints), clock=clock)
    bring_to_idle(device)
    device.load(cassettes)
    yield device
    device.close()
