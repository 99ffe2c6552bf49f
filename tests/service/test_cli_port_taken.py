"""`kiosk-service demo` and `serve` on a port another server holds: one line, exit 1, nothing
printed or left behind."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request

import pytest
from click.testing import CliRunner

from kiosk_service.cli import main


@pytest.fixture
def taken_port():
    """A port some other server is listening on."""
    with socket.socket() as other:
        other.bind(("127.0.0.1", 0))
        other.listen()
        yield other.getsockname()[1]


@pytest.fixture
def own_tmp(tmp_path, monkeypatch):
    """Temporary folders (the demo's database) go to a folder the test can inspect."""
    folder = tmp_path / "tmp"
    folder.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(folder))
    return folder


@pytest.mark.parametrize("command", ["demo", "serve"])
def test_a_taken_port_is_one_line_and_exit_1(command, taken_port, own_tmp, tmp_path,
                                             monkeypatch):
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'serve.sqlite'}")
    result = CliRunner().invoke(main, [command, "--port", str(taken_port)])
    assert result.exit_code == 1
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and "--port" in lines[0] and str(taken_port) in lines[0]
    assert "cmx_" not in result.output and "key" not in result.output
    assert list(own_tmp.iterdir()) == []                    # no demo database
    assert not (tmp_path / "serve.sqlite").exists()         # serve did not even open one


def test_the_installed_command_says_so_without_a_traceback(taken_port, tmp_path):
    run = subprocess.run([sys.executable, "-m", "kiosk_service", "demo", "--port",
                          str(taken_port)], capture_output=True, text=True, timeout=60,
                         env=os.environ | {"TMPDIR": str(tmp_path)})
    assert run.returncode == 1
    assert run.stdout == "" and "Traceback" not in run.stderr
    assert len(run.stderr.strip().splitlines()) == 1 and "--port" in run.stderr
    assert list(tmp_path.iterdir()) == []


def test_the_demo_serves_and_removes_its_temporary_database_when_it_stops(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("CASHMIX_")}
    with subprocess.Popen([sys.executable, "-m", "kiosk_service", "demo", "--port", "0"],
                          env=env | {"TMPDIR": str(tmp_path)}, stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE, text=True) as demo:
        try:
            served = demo.stderr.readline()                 # "serving on http://127.0.0.1:PORT"
            assert "serving on" in served
            address = served.split()[-1]
            assert healthy(address)
            assert len(list(tmp_path.iterdir())) == 1       # the demo's database folder
        finally:
            demo.send_signal(signal.SIGINT)
            banner, _ = demo.communicate(timeout=30)
    assert demo.returncode == 0
    assert f"{address}/console/" in banner                  # the banner names the real port
    assert list(tmp_path.iterdir()) == []


def healthy(address: str, seconds: float = 30) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"{address}/healthz", timeout=10) as response:
                return response.status == 200
        except OSError:
            time.sleep(0.1)
    return False
