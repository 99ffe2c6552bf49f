"""The one place views reach the app: its dependencies and the caller's API key."""

from __future__ import annotations

from flask import current_app, g

from kiosk_service.dependencies import Dependencies
from kiosk_service.records import ApiKey


def current_deps() -> Dependencies:
    """Return the dependencies create_app built for this app."""
    return current_app.extensions["cashmix"]


def current_key() -> ApiKey:
    """Return the API key that authenticated this request."""
    return g.cashmix_key


def current_actor() -> str:
    """Return who acts, for the journal: `role:key-id`."""
    key = current_key()
    return f"{key.role}:{key.id}"
