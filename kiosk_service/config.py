"""Configuration: defaults, then a TOML file named by $CASHMIX_CONFIG, then the environment."""

from __future__ import annotations

import os
import tomllib
from pathlib import Path
from typing import Any

#: Where the shipped terminal files live (the demo terminal among them).
TERMINALS_DIR = Path(__file__).resolve().parent.parent / "config" / "terminals"


def default_config(instance_path: str) -> dict[str, Any]:
    """Return the built-in settings; DATABASE_URL defaults to a SQLite file in the instance folder.

    Settings: DATABASE_URL, DISPENSER_URL (for terminals whose file names none),
    QUOTE_HOLD_SECONDS, TAKE_TIMEOUT_SECONDS (how long a dispense waits for the customer;
    0 returns at `presented`), AUTHORIZATION_MAX_SECONDS (how far ahead a host authorization may
    expire), MAX_CONTENT_LENGTH (bytes of a request body), RECOVER_ON_START,
    AUTH_FAILURES_PER_KEY and AUTH_FAILURES_PER_ADDRESS (failed authentications allowed per
    AUTH_FAILURE_WINDOW_SECONDS before 429), TRUSTED_PROXIES (how many reverse proxies in front
    set X-Forwarded-For/-Proto: 0 trusts none), SESSION_COOKIE_SECURE (Secure console cookie
    even when the request did not arrive over TLS), TERMINAL_LOCK_TIMEOUT_SECONDS (how long a
    device cycle waits for its terminal before 409 terminal_busy), DEVICE_IDLE_SECONDS (an
    unused device connection closes after that long), MAX_OPEN_DEVICES (device connections one
    process holds at most), METRICS_PER_TERMINAL (a `terminal` label per terminal on the
    metrics; off: one series for the fleet), DATABASE_POOL_SIZE and DATABASE_MAX_OVERFLOW
    (PostgreSQL connections per process: a thread in a device cycle holds two).
    """
    return {
        "DATABASE_URL": f"sqlite:///{Path(instance_path) / 'cashmix.sqlite'}",
        "DISPENSER_URL": "sim://",
        "QUOTE_HOLD_SECONDS": 60,
        "TAKE_TIMEOUT_SECONDS": 30,
        "AUTHORIZATION_MAX_SECONDS": 300,
        "MAX_CONTENT_LENGTH": 16 * 1024,
        "RECOVER_ON_START": True,
        "AUTH_FAILURES_PER_KEY": 10,
        "AUTH_FAILURES_PER_ADDRESS": 30,
        "AUTH_FAILURE_WINDOW_SECONDS": 60,
        "TRUSTED_PROXIES": 0,
        "SESSION_COOKIE_SECURE": False,
        "TERMINAL_LOCK_TIMEOUT_SECONDS": 10,
        "DEVICE_IDLE_SECONDS": 300,
        "MAX_OPEN_DEVICES": 1000,
        "METRICS_PER_TERMINAL": False,
        "DATABASE_POOL_SIZE": 10,
        "DATABASE_MAX_OVERFLOW": 20,
        "API_TITLE": "Cashmix kiosk service",
        "API_VERSION": "v1",
        "OPENAPI_VERSION": "3.0.3",
        "OPENAPI_URL_PREFIX": "/api/v1",
        "OPENAPI_JSON_PATH": "openapi.json",
        "OPENAPI_SWAGGER_UI_PATH": "docs",
        "OPENAPI_SWAGGER_UI_URL": "/api/v1/swagger-ui/",  # served locally: swagger_assets.py
    }


def file_and_environment(environ: os._Environ[str] | dict[str, str]) -> dict[str, Any]:
    """Return settings from the $CASHMIX_CONFIG TOML file, then $DATABASE_URL, then $CASHMIX_*."""
    settings: dict[str, Any] = {}
    path = environ.get("CASHMIX_CONFIG")
    if path:
        with open(path, "rb") as file:
            settings.update({key.upper(): value for key, value in tomllib.load(file).items()})
    if environ.get("DATABASE_URL"):
        settings["DATABASE_URL"] = environ["DATABASE_URL"]
    for name, raw in environ.items():
        if name.startswith("CASHMIX_") and name not in ("CASHMIX_CONFIG", "CASHMIX_CURRENCIES") \
                and not name.endswith("_HOST_SECRET"):
            settings[name.removeprefix("CASHMIX_")] = _parse(raw)
    return settings


def _parse(raw: str) -> Any:
    """Read an environment value as TOML when it is one (60, true), else as a string."""
    try:
        return tomllib.loads(f"value = {raw}")["value"]
    except tomllib.TOMLDecodeError:
        return raw
