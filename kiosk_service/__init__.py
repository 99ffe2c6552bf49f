"""The Cashmix HTTP service: quotes, dispenses, cassettes and journal over `denomination`."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from flask import Flask


def create_app(config: Mapping[str, Any] | None = None, **dependencies: Any) -> Flask:
    """Build the Flask app; see kiosk_service.app.create_app.

    Imported lazily so that `kiosk_service.hardware` (which drivers import) loads no framework.
    """
    from kiosk_service.app import create_app as build

    return build(config, **dependencies)
