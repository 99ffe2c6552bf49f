"""Crash points: the process dies by SIGKILL on the chosen pass, and only there."""

import signal
import subprocess
import sys

import pytest

from kiosk_service.crash_points import CrashPoints

PROBE = """
import sys
from kiosk_service.crash_points import CrashPoints
points = CrashPoints("device.present.after:2")
for n in (1, 2, 3):
    points.reached("device.present.after")
    print(n, flush=True)
"""


def test_a_crash_point_kills_the_process_on_its_nth_pass():
    run = subprocess.run([sys.executable, "-c", PROBE], capture_output=True, text=True,
                         timeout=60)
    assert run.returncode == -signal.SIGKILL
    assert run.stdout.split() == ["1"]


def test_other_points_and_a_during_point_only_count():
    points = CrashPoints("db.commit:5,device.dispense.during:1:0.25")
    assert points.reached("device.present.after") is None
    assert points.reached("db.commit") is None
    assert points.reached("device.dispense.during") == 0.25
    assert points.reached("device.dispense.during") is None


@pytest.mark.parametrize("spec", ["db.commit", "db.commit:0", "db.commit:x"])
def test_a_bad_spec_is_refused(spec):
    with pytest.raises(ValueError, match="POINT:N"):
        CrashPoints(spec)
