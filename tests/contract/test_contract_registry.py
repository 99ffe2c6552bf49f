"""Drivers are chosen by URL through entry points; bad URLs fail with one clear error."""

from __future__ import annotations

import re
import subprocess
import sys
from importlib.metadata import entry_points

import pytest

from denomination.errors import CashmixError
from kiosk_service import hardware
from kiosk_service.hardware import (
    ENTRY_POINT_GROUP,
    ERROR_CODES,
    XFS_ERRORS,
    Dispenser,
    DispenserError,
    ManualClock,
    open_dispenser,
)


def test_the_simulator_is_registered_under_its_scheme():
    drivers = {ep.name: ep.value for ep in entry_points(group=ENTRY_POINT_GROUP)}
    assert drivers["sim"] == "sim.dispenser:SimulatedDispenser"


def test_open_dispenser_returns_the_driver_of_the_scheme():
    with open_dispenser("sim://?seed=7", clock=ManualClock()) as device:
        assert isinstance(device, Dispenser)
        assert device.status().cassettes == ()


@pytest.mark.parametrize("url", ["nosuch://device", "", "seed=7", "/dev/ttyS0"])
def test_an_unknown_scheme_is_refused_naming_the_installed_drivers(url):
    with pytest.raises(DispenserError) as caught:
        open_dispenser(url, clock=ManualClock())
    assert caught.value.code == "invalid_driver_url"
    assert "sim" in caught.value.details["installed"]


def test_unknown_options_are_refused_with_the_allowed_ones():
    with pytest.raises(DispenserError) as caught:
        open_dispenser("sim://?seed=7&colour=blue&speed=2", clock=ManualClock())
    assert caught.value.code == "invalid_driver_url"
    assert set(caught.value.details["errors"]) == {"colour", "speed"}
    assert {"seed", "faults", "state", "max_notes", "pace", "take_after"} <= set(
        caught.value.details["allowed"])


def test_every_bad_option_is_reported_at_once():
    url = "sim://?seed=-1&max_notes=0&pace=fast&take_after=-2&faults=jam,warp:1&state="
    with pytest.raises(DispenserError) as caught:
        open_dispenser(url, clock=ManualClock())
    assert set(caught.value.details["errors"]) == {
        "seed", "max_notes", "pace", "take_after", "faults", "state"}


@pytest.mark.parametrize("url", ["sim://host?seed=1", "sim:///some/path", "sim://?seed=1&seed=2"])
def test_malformed_simulator_urls_are_refused(url):
    with pytest.raises(DispenserError) as caught:
        open_dispenser(url, clock=ManualClock())
    assert caught.value.code == "invalid_driver_url"


def test_error_classes_have_unique_codes_named_after_the_standard():
    classes = {cls for cls in vars(hardware).values()
               if isinstance(cls, type) and issubclass(cls, DispenserError)}
    assert all(issubclass(cls, CashmixError) for cls in classes)
    assert len({cls.code for cls in classes}) == len(classes)
    assert {cls.code for cls in classes} == set(ERROR_CODES)
    by_code = {cls.code: cls for cls in classes}
    for xfs_name, cls in XFS_ERRORS.items():
        # A standard name whose snake_case is one of our codes maps to that very class;
        # the others (several names of one meaning) map to a class named for the meaning.
        snake = re.sub(r"([A-Z]+)", lambda m: "_" + m.group(1).lower(), xfs_name)
        if snake in by_code:
            assert cls is by_code[snake], xfs_name


def test_opening_an_unknown_scheme_imports_no_driver():
    probe = ("import sys\nfrom kiosk_service.hardware import open_dispenser\n"
             "try: open_dispenser('nosuch://x')\nexcept Exception: pass\n"
             "print('sim' in sys.modules)")
    run = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                         check=True)
    assert run.stdout.strip() == "False"
