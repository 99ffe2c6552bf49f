"""Liveness/readiness (`/healthz`) and Prometheus metrics (`/metrics`)."""

from __future__ import annotations

from flask import Blueprint, Response

from kiosk_service.services.health import check_health
from kiosk_service.web_deps import current_deps

blp = Blueprint("health", __name__)


@blp.get("/healthz")
def healthz():
    """Return 200 when the database answers (degraded devices are listed, not fatal), else
    503."""
    deps = current_deps()
    report = check_health(uow=deps.unit_of_work(), devices=deps.devices)
    return report, 200 if report["ok"] else 503


@blp.get("/metrics")
def metrics() -> Response:
    """Return the Prometheus text exposition."""
    return Response(current_deps().metrics.exposition(),
                    mimetype="text/plain; version=0.0.4; charset=utf-8")
