"""Fixtures of the traffic tests: the shipped profile and terminals, small and quiet."""

from pathlib import Path

import pytest

from sim.traffic.evaluation import Setting
from sim.traffic.profile import build_profile, load_tree
from sim.traffic.replenishment import Replenishment
from sim.traffic.terminal import read_terminal

ROOT = Path(__file__).resolve().parents[3]
TYPICAL = ROOT / "config" / "demand" / "typical-czk-atm.toml"


@pytest.fixture
def profile():
    return build_profile(load_tree(), "CZK")


@pytest.fixture
def steady_profile():
    """No day-to-day noise or outages: statistics converge fast."""
    tree = load_tree(overrides=["volume.noise_sigma=0.0", "volume.outage_probability=0.0",
                                "volume.per_day=400"])
    return build_profile(tree, "CZK")


@pytest.fixture
def typical():
    return read_terminal(TYPICAL)


@pytest.fixture
def plan_setting():
    """The planner's small case: 40 quiet withdrawals a day for 3 days, a visit every 2 days
    or 12 h after a low cassette."""
    tree = load_tree(overrides=["volume.per_day=40", "volume.noise_sigma=0.0",
                                "volume.outage_probability=0.0"])
    return Setting(build_profile(tree, "CZK"), days=3,
                   replenishment=Replenishment(every_days=2, on_low=True, lead_hours=12))
