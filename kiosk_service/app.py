"""The app factory: configuration, dependencies, API, error handlers, metrics, recovery."""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Mapping
from functools import lru_cache
from inspect import iscoroutinefunction
from typing import Any

from flask import Flask, g, request

from kiosk_service import console, crash_points, errors, kiosk_page, web_security
from kiosk_service.api import (
    API_DESCRIPTION,
    CashmixApi,
    cassettes,
    dispenses,
    health,
    journal,
    quotes,
    swagger_assets,
    terminals,
)
from kiosk_service.config import default_config, file_and_environment
from kiosk_service.dependencies import Dependencies
from kiosk_service.hardware import Dispenser
from kiosk_service.hardware.clock import Clock, SystemClock
from kiosk_service.logs import configure_logging
from kiosk_service.services.reconcile import adopt_all
from kiosk_service.services.recovery import recover_all

log = logging.getLogger("cashmix.http")


@lru_cache(maxsize=256)
def _is_coroutine(function: Any) -> bool:
    return iscoroutinefunction(function)


class CashmixFlask(Flask):
    """Flask, asking once per function whether a view or hook is a coroutine: Flask asks
    inspect on every call of each (about ten a quote). Bounded, as per-request callbacks
    (after_this_request) come and go."""

    def ensure_sync(self, func: Any) -> Any:
        """Return `func`, or a coroutine function wrapped to run to its end."""
        if _is_coroutine(getattr(func, "__func__", func)):
            return self.async_to_sync(func)
        return func

SECURITY = {
    "info": {"description": API_DESCRIPTION},
    "components": {"securitySchemes": {"bearer": {"type": "http", "scheme": "bearer",
                                                  "description": "API key: cmx_<id>_<secret>"}}},
    "security": [{"bearer": []}],
}


def create_app(config: Mapping[str, Any] | None = None, *, clock: Clock | None = None,
               dispensers: Mapping[str, Dispenser] | None = None,
               environ: Mapping[str, str] | None = None) -> Flask:
    """Build the service. Settings: defaults < $CASHMIX_CONFIG file < environment < `config`.

    `clock`, `dispensers` (terminal id -> opened driver) and `environ` (where host secrets are
    read) are injected by tests and simulations. When the database is migrated, dispenses left
    in flight by a dead process are settled before the app is returned.
    """
    app = CashmixFlask("kiosk_service", instance_relative_config=True)
    app.config.from_mapping(default_config(app.instance_path))
    app.config.update(file_and_environment(os.environ))
    app.config.update(config or {})
    app.config["API_SPEC_OPTIONS"] = SECURITY
    if app.config["DATABASE_URL"].startswith("sqlite:///"):
        os.makedirs(os.path.dirname(app.config["DATABASE_URL"].removeprefix("sqlite:///"))
                    or ".", exist_ok=True)
    configure_logging(app.config.get("LOG_LEVEL", "INFO"))
    deps = Dependencies.build(app.config, clock=clock or SystemClock(), dispensers=dispensers,
                              environ=environ)
    app.extensions["cashmix"] = deps
    crash_points.install(deps, app.config)
    api = CashmixApi(app)
    for module in (terminals, quotes, dispenses, cassettes, journal):
        api.register_blueprint(module.blp)
    app.register_blueprint(health.blp)
    swagger_assets.init_app(app)
    errors.init_app(app)
    kiosk_page.init_app(app)
    console.init_app(app)
    web_security.init_app(app)
    _time_requests(app, deps)
    if app.config["RECOVER_ON_START"] and deps.schema_ready():
        recover_all(uow=deps.unit_of_work(), clock=deps.clock, devices=deps.devices,
                    owner=deps.dispense_settings.owner)
        adopt_all(uow=deps.unit_of_work(), clock=deps.clock, devices=deps.devices)
    return app


def _time_requests(app: Flask, deps: Dependencies) -> None:
    @app.before_request
    def start_timer() -> None:
        g.cashmix_started = time.perf_counter()

    @app.after_request
    def observe(response):
        started = g.get("cashmix_started")
        if started is not None:
            seconds = time.perf_counter() - started
            rule = request.url_rule
            deps.metrics.request_latency.labels(request.method, rule.rule if rule else "unmatched",
                                                str(response.status_code)).observe(seconds)
            if log.isEnabledFor(logging.INFO):      # the line's fields cost more than its check
                log.info("request", extra={"event": "http.request", "method": request.method,
                                           "path": request.path, "status": response.status_code,
                                           "ms": round(seconds * 1000, 2)})
        return response
