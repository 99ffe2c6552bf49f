"""The one place web views (the API, the staff console, the kiosk page) reach the app: its
dependencies, its settings and the caller's API key."""

from __future__ import annotations

from typing import Any

from flask import current_app, g

from kiosk_service.dependencies import Dependencies
from kiosk_service.records import ApiKey


def current_deps() -> Dependencies:
    """Return the dependencies create_app built for this app."""
    return current_app.extensions["cashmix"]


def current_setting(name: str, default: Any = None) -> Any:
    """Return one of the app's settings (its config), or `default`."""
    return current_app.config.get(name, default)


def current_key() -> ApiKey:
    """Return the API key that authenticated this request."""
    return g.cashmix_key


def current_actor() -> str:
    """Return who acts, for the journal: `role:key-id`."""
    key = current_key()
    return f"{key.role}:{key.id}"
