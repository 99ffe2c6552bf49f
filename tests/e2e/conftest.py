"""End-to-end fixtures: a real `kiosk-service serve` process on a free port, over HTTP."""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterable, Mapping
from pathlib import Path

import pytest

from kiosk_service import create_app
from kiosk_service.persistence.migrate import upgrade_database
from kiosk_service.records import Role
from kiosk_service.services.keys import create_key
from kiosk_service.services.terminals import import_terminal
from kiosk_service.terminal_files import load_terminal_file
from tests.service.conftest import reset_postgres

TERMINALS = Path(__file__).resolve().parents[2] / "config" / "terminals"
SECRET = "e2e-host-secret"
POSTGRES_URL = os.environ.get("CASHMIX_TEST_DATABASE_URL")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def database_url(kind: str, tmp_path: Path) -> str:
    """Return the URL of an empty database: a SQLite file in `tmp_path` (kind "sqlite"), or
    the PostgreSQL of CASHMIX_TEST_DATABASE_URL with its schema reset (skips the test when
    that is unset)."""
    if kind == "sqlite":
        return f"sqlite:///{tmp_path / 'cashmix.sqlite'}"
    if not POSTGRES_URL:
        pytest.skip("set CASHMIX_TEST_DATABASE_URL for the PostgreSQL run (.ci/run does)")
    reset_postgres(POSTGRES_URL)
    return POSTGRES_URL


def server_env(url: str, **settings: str) -> dict[str, str]:
    """Return the environment of a server on the database `url`: this one without its
    CASHMIX_ settings, with the demo terminal's host secret, warnings only, and `settings`."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("CASHMIX_")}
    return env | {"DATABASE_URL": url, "CASHMIX_DEMO_CZK_HOST_SECRET": SECRET,
                  "CASHMIX_LOG_LEVEL": "WARNING"} | settings


def dispensers(table: dict[str, str]) -> str:
    """Return CASHMIX_DISPENSERS for `table` (terminal id -> driver URL): a TOML inline
    table."""
    return "{" + ", ".join(f'"{tid}" = {json.dumps(url)}' for tid, url in table.items()) + "}"


class Http:
    """A tiny JSON client for one base URL and API key."""

    def __init__(self, base: str, key: str | None = None):
        self.base, self.key = base, key

    def call(self, method: str, path: str, body=None, headers: dict | None = None):
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(self.base + path, data=data, method=method)
        request.add_header("Content-Type", "application/json")
        if self.key:
            request.add_header("Authorization", f"Bearer {self.key}")
        for name, value in (headers or {}).items():
            request.add_header(name, value)
        try:
            with urllib.request.urlopen(request, timeout=60) as response:
                return response.status, json.loads(response.read() or b"null"), response.headers
        except urllib.error.HTTPError as error:
            return error.code, json.loads(error.read() or b"null"), error.headers


class Server:
    """`kiosk-service serve` in a child process."""

    def __init__(self, env: dict[str, str], log: Path):
        self.env, self.log, self.process, self.port = env, log, None, None

    def start(self, *serve_args: str, **extra_env: str) -> Http:
        """Run `serve --port PORT SERVE_ARGS` with `extra_env` over the environment; return a
        client once /healthz answers (RuntimeError with the log when the process exits)."""
        self.port = free_port()
        # This interpreter's copy, not whatever `kiosk-service` PATH finds first.
        argv = [sys.executable, "-m", "kiosk_service", "serve", "--port", str(self.port)]
        with open(self.log, "ab") as log:
            self.process = subprocess.Popen(
                [*argv, *serve_args], env=self.env | extra_env,
                stdout=subprocess.DEVNULL, stderr=log)
        http = Http(f"http://127.0.0.1:{self.port}")
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(self.log.read_text())
            try:
                if http.call("GET", "/healthz")[0] in (200, 503):
                    return http
            except OSError:
                time.sleep(0.1)
        raise RuntimeError("the server did not start")

    def kill(self) -> None:
        """Die at once, as a crash would."""
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=10)

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.kill()


def prepare_database(url: str, terminals: Iterable[Path],
                     keys: Mapping[str, tuple[Role, str | None]]) -> dict[str, str]:
    """Migrate the database at `url`, import the terminal files and create `keys` (name ->
    role and terminal id, None for every terminal); return each key's secret by name."""
    deps = create_app({"DATABASE_URL": url, "RECOVER_ON_START": False,
                       "LOG_LEVEL": "WARNING"}).extensions["cashmix"]
    try:
        upgrade_database(deps.engine)
        for path in terminals:
            import_terminal(load_terminal_file(path), uow=deps.unit_of_work(), clock=deps.clock)
        return {name: create_key(role, terminal, uow=deps.unit_of_work(), clock=deps.clock)
                for name, (role, terminal) in keys.items()}
    finally:
        deps.close()


def demo_copy(directory: Path, terminal_id: str) -> Path:
    """Write the demo terminal's file under another id to DIRECTORY/ID.toml; return its
    path."""
    text = (TERMINALS / "demo-czk.toml").read_text(encoding="utf-8")
    path = directory / f"{terminal_id}.toml"
    path.write_text(text.replace('id = "demo-czk"', f'id = "{terminal_id}"', 1),
                    encoding="utf-8")
    return path


@pytest.fixture
def database(tmp_path):
    """A migrated SQLite database with the demo terminal, and (url, kiosk key, staff key)."""
    url = database_url("sqlite", tmp_path)
    keys = prepare_database(url, [TERMINALS / "demo-czk.toml"],
                            {"kiosk": (Role.KIOSK, "demo-czk"), "staff": (Role.STAFF, "demo-czk")})
    return url, keys["kiosk"], keys["staff"]


@pytest.fixture
def server(database, tmp_path):
    url, _, _ = database
    running = Server(server_env(url), tmp_path / "server.log")
    yield running
    running.stop()


CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update",
                  "--disable-sync", "--disable-quic"]
# Screenshots land in build/screenshots (ignored by git); refresh the README's images with
# CASHMIX_SCREENSHOT_DIR=docs/screenshots pytest tests/e2e
SCREENSHOTS = Path(os.environ.get("CASHMIX_SCREENSHOT_DIR")
                   or Path(__file__).resolve().parents[2] / "build" / "screenshots")


@pytest.fixture(scope="session")
def chromium():
    """Debian's Chromium driven by Playwright (no browser download: the machine is offline)."""
    executable = shutil.which("chromium")
    if executable is None:
        pytest.skip("browser tests need Debian's chromium: apt-get install chromium "
                    "(.ci/run installs it)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_FLAGS)
        yield browser
        browser.close()


@pytest.fixture
def page(chromium):
    """A fresh browser context and page, 1024x768, closed after the test."""
    context = chromium.new_context(viewport={"width": 1024, "height": 768})
    page = context.new_page()
    yield page
    context.close()


@pytest.fixture
def screenshot(page):
    """Save a full-page screenshot as SCREENSHOTS/NAME.png."""
    def save(name: str) -> Path:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        path = SCREENSHOTS / f"{name}.png"
        page.screenshot(path=str(path), full_page=True)
        return path
    return save
