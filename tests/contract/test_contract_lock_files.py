"""The lock files: every dependency in pyproject.toml is pinned with hashes, and a deployment
(requirements/runtime.txt) gets exactly the versions CI tested (requirements/test.txt)."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parents[2]
PIN = re.compile(r"^([A-Za-z0-9._-]+)==([^\s;\\]+)")


def pins(name: str) -> dict[str, tuple[str, int]]:
    """Return package -> (version, number of hashes) from requirements/NAME.txt."""
    found: dict[str, tuple[str, int]] = {}
    current = None
    for line in (ROOT / "requirements" / f"{name}.txt").read_text().splitlines():
        if match := PIN.match(line):
            current = canonicalize_name(match[1])
            found[current] = (match[2], 0)
        elif line.strip().startswith("--hash=sha256:") and current is not None:
            version, hashes = found[current]
            found[current] = (version, hashes + 1)
    return found


def declared() -> dict[str, list[Requirement]]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    runtime = [Requirement(r) for r in project["dependencies"]]
    test = [Requirement(r) for r in project["optional-dependencies"]["test"]]
    return {"runtime": runtime, "test": runtime + test}


@pytest.mark.parametrize("lock", ["runtime", "test"])
def test_every_declared_dependency_is_pinned_within_its_range_with_hashes(lock):
    locked = pins(lock)
    assert locked and all(hashes > 0 for _, hashes in locked.values())
    for requirement in declared()[lock]:
        name = canonicalize_name(requirement.name)
        assert name in locked, f"{name} is not in requirements/{lock}.txt: regenerate it"
        assert requirement.specifier.contains(locked[name][0], prereleases=True), (
            f"{name}=={locked[name][0]} is outside {requirement.specifier}: regenerate")


def test_a_deployment_gets_the_versions_ci_tested():
    tested = pins("test")
    assert {name: version for name, (version, _) in pins("runtime").items()
            if tested.get(name, (None,))[0] != version} == {}
