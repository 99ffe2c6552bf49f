"""Start `kiosk-sim xfs4iot` in its own process, as a real device lives, for the tests."""

from __future__ import annotations

import contextlib
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from pathlib import Path

STARTUP_SECONDS = 30.0


def free_port() -> int:
    """Return a TCP port on 127.0.0.1 that nothing listens on now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def terminal_file(directory: Path, cassettes: Sequence, *, note_limit: int = 40,
                  currency: str = "CZK", exponent: int = 2) -> Path:
    """Write a terminal file holding `cassettes` (denomination.Cassette) and return it."""
    lines = ['id = "xfs-test"', 'name = "XFS4IoT test device"', f'currency = "{currency}"',
             f"note_limit = {note_limit}", 'host_secret_env = "CASHMIX_XFS_TEST_SECRET"']
    for cassette in cassettes:
        face = cassette.denomination // 10 ** exponent
        lines += ["", "[[cassettes]]", f'id = "{cassette.id}"', f"denomination = {face}",
                  f"count = {cassette.count}", f"capacity = {cassette.capacity or 2000}",
                  f"low_threshold = {cassette.low_threshold}"]
    path = directory / "xfs-test.toml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


@contextlib.contextmanager
def endpoint_process(terminal: Path, *, dialect: str, port: int | None = None,
                     extra: Sequence[str] = ()) -> Iterator[tuple[str, subprocess.Popen]]:
    """Run the endpoint until the block ends; yield (publisher URL host:port part, process)."""
    port = port or free_port()
    command = [sys.executable, "-m", "sim", "xfs4iot", "--terminal", str(terminal),
               "--port", str(port), "--dialect", dialect, *extra]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               text=True)
    try:
        wait_listening(port, process)
        yield f"127.0.0.1:{port}", process
    finally:
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        process.stdout.close()
        process.stderr.close()


def wait_listening(port: int, process: subprocess.Popen) -> None:
    """Wait until the endpoint accepts connections; fail with its stderr if it died."""
    deadline = time.monotonic() + STARTUP_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the endpoint exited {process.returncode}: "
                               f"{process.stderr.read()}")
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.05)
    raise RuntimeError("the endpoint did not start listening in time")
