"""The driver interface and the simulator load no web or database framework, even indirectly."""

from __future__ import annotations

import subprocess
import sys

FRAMEWORKS = {"flask", "flask_smorest", "marshmallow", "sqlalchemy", "alembic", "waitress"}

PROBE = """import importlib, pkgutil, sys
import {package} as root
for m in pkgutil.walk_packages(root.__path__, "{package}."): importlib.import_module(m.name)
print(*sys.modules)"""


def loaded_by(package: str) -> set[str]:
    run = subprocess.run([sys.executable, "-c", PROBE.format(package=package)],
                         capture_output=True, text=True, check=True)
    return {name.split(".")[0] for name in run.stdout.split()}


def test_hardware_interface_is_framework_free_and_knows_no_driver():
    assert loaded_by("kiosk_service.hardware") & (FRAMEWORKS | {"sim"}) == set()


def test_simulator_is_framework_free():
    assert loaded_by("sim") & FRAMEWORKS == set()
