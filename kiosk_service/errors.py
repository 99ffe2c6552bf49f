"""The service's named errors, the one table of HTTP statuses, and the one error body."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from denomination.errors import CashmixError, InvalidRequest, NotDispensable
from kiosk_service.hardware.errors import DispenserError

log = logging.getLogger("cashmix.errors")


class NotFound(CashmixError):
    """No such terminal, quote, dispense or cassette (for this terminal)."""

    code = "not_found"


class Unauthenticated(CashmixError):
    """No API key, or one that is unknown."""

    code = "unauthenticated"


class Forbidden(CashmixError):
    """The key's role or terminal does not allow this."""

    code = "forbidden"


class TooManyRequests(CashmixError):
    """Too many failed authentications from this address or for this key id: wait
    `retry_after` seconds (also the `Retry-After` header)."""

    code = "too_many_requests"

    @property
    def headers(self) -> dict[str, str]:
        return {"Retry-After": str(self.details["retry_after"])}


class QuoteExpired(CashmixError):
    """The quote's hold ran out; ask for a new quote."""

    code = "quote_expired"


class QuoteIsPreview(CashmixError):
    """The quote was a preview (`hold: false`): it held nothing, was never stored, and cannot be
    read back or dispensed."""

    code = "quote_is_preview"


class UnsupportedMediaType(CashmixError):
    """A request body that is not declared `application/json`."""

    code = "unsupported_media_type"


class QuoteUsed(CashmixError):
    """The quote was already dispensed (under another idempotency key)."""

    code = "quote_used"


class IdempotencyKeyRequired(InvalidRequest):
    """A dispense needs an `Idempotency-Key` header."""

    code = "idempotency_key_required"


class IdempotencyKeyReused(CashmixError):
    """The idempotency key was used before with a different body."""

    code = "idempotency_key_reused"


class AuthorizationRefused(CashmixError):
    """The host's authorization is missing, wrong, expired or replayed (details: `problem`)."""

    code = "authorization_refused"


class CassetteUnavailable(CashmixError):
    """A cassette of the quote's mix can no longer give its notes (inoperative, recounted)."""

    code = "cassette_unavailable"


class InvalidState(CashmixError):
    """The operation does not fit the current state (retracting cash that was taken)."""

    code = "invalid_state"


class DeviceError(CashmixError):
    """The dispenser failed before any note moved, or cannot be reached."""

    code = "device_error"


class TerminalBusy(CashmixError):
    """Another process drives the terminal's dispenser (a dispense, a staff load, recovery)
    and did not finish within the lock timeout; details: terminal, waited_seconds, holder
    (when known). Nothing was done: try again."""

    code = "terminal_busy"

    @property
    def headers(self) -> dict[str, str]:
        return {"Retry-After": "1"}


class TerminalConfigError(InvalidRequest):
    """A terminal file is invalid; `errors` lists every problem."""

    code = "invalid_terminal_config"


STATUS_BY_CODE: Mapping[str, int] = {
    "invalid_request": 422,
    "invalid_amount": 422,
    "unknown_currency": 422,
    "invalid_terminal_config": 422,
    "not_dispensable": 422,
    "insufficient_notes": 422,
    "too_many_notes": 422,
    "unknown_denomination": 422,
    "kind_not_offered": 422,
    "idempotency_key_required": 400,
    "unauthenticated": 401,
    "forbidden": 403,
    "authorization_refused": 403,
    "not_found": 404,
    "idempotency_key_reused": 409,
    "quote_used": 409,
    "quote_is_preview": 409,
    "cassette_unavailable": 409,
    "invalid_state": 409,
    "terminal_busy": 409,
    "quote_expired": 410,
    "unsupported_media_type": 415,
    "too_many_requests": 429,
    "device_error": 503,
    "optimiser_error": 500,
}


def as_service_error(error: CashmixError) -> CashmixError:
    """Return the error the service answers with: a driver's own error that reached it (a
    device that cannot be opened or reached, whatever the path) is `device_error`, with the
    driver's code in `device_code`."""
    if isinstance(error, DispenserError):
        return DeviceError(f"the dispenser failed: {error.message}", device_code=error.code)
    return error


def status_for(error: CashmixError) -> int:
    """Return the HTTP status of a Cashmix error: by code, else 422 for bad input, else 500."""
    error = as_service_error(error)
    if error.code in STATUS_BY_CODE:
        return STATUS_BY_CODE[error.code]
    return 422 if isinstance(error, InvalidRequest) else 500


def error_body(error: CashmixError) -> dict[str, Any]:
    """Return the one error body for a Cashmix error."""
    error = as_service_error(error)
    return {"code": error.code, "status": status_for(error), "message": error.message,
            "errors": _details(error)}


def _details(error: CashmixError) -> dict[str, Any]:
    if isinstance(error, InvalidRequest):
        return dict(error.errors)
    if isinstance(error, NotDispensable):
        below, above = error.nearest
        currency = error.details.get("currency")
        return {
            "reasons": [_reason(r) for r in error.reasons],
            "nearest": {"below": _amount(below, currency), "above": _amount(above, currency)},
        }
    return {key: value for key, value in error.details.items()
            if isinstance(value, str | int | float | bool | list | dict) or value is None}


def _reason(reason: Any) -> dict[str, Any]:
    return {"code": reason.code, "message": reason.message,
            "denomination": reason.denomination, "cassette": reason.cassette}


def _amount(value: int | None, currency: str | None) -> dict[str, Any] | None:
    return None if value is None else {"value": value, "currency": currency}


def http_exception_body(error: Any) -> tuple[dict[str, Any], int, Mapping[str, str]]:
    """Return body, status and headers for a werkzeug HTTPException (abort, 404, 413, ...)."""
    data = getattr(error, "data", None) or {}
    body = {"code": data.get("code") or error.name.lower().replace(" ", "_"),
            "status": error.code, "message": data.get("message") or error.description,
            "errors": {}}
    if "messages" in data:
        body.update(code="invalid_request", message="the request is invalid",
                    errors=data["messages"])
    return body, error.code, data.get("headers") or {}


def init_app(app: Any) -> None:
    """Register the handlers that turn Cashmix errors and crashes into the one error body."""

    @app.errorhandler(CashmixError)
    def handle_cashmix_error(error: CashmixError):
        body = error_body(error)
        return body, body["status"], getattr(error, "headers", {})

    @app.errorhandler(Exception)
    def handle_crash(error: Exception):
        from werkzeug.exceptions import HTTPException

        if isinstance(error, HTTPException):
            body, status, headers = http_exception_body(error)
            return body, status, dict(headers)
        log.exception("unhandled error", extra={"event": "request.crashed"})
        return {"code": "internal_error", "status": 500, "message": "internal error",
                "errors": {}}, 500
