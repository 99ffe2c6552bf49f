"""Fixtures of the traffic tests: the shipped profile and terminals, small and quiet."""

from pathlib import Path

import pytest

from sim.traffic.profile import build_profile, load_tree
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
