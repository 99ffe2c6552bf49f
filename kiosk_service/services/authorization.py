"""The host's authorization of a dispense: an HMAC-SHA256 over the quote, with an expiry."""

from __future__ import annotations

import hashlib
import hmac
from datetime import datetime

from kiosk_service.records import HostAuthorization, Quote


def signed_text(terminal_id: str, quote_id: str, value: int, currency: str,
                expires_at: int) -> str:
    """Return the text the host signs, fields joined by `|` in this order."""
    return f"{terminal_id}|{quote_id}|{value}|{currency}|{expires_at}"


def sign(secret: str, terminal_id: str, quote_id: str, value: int, currency: str,
         expires_at: int) -> str:
    """Return the hex HMAC-SHA256 signature the host puts in `authorization.signature`."""
    text = signed_text(terminal_id, quote_id, value, currency, expires_at)
    return hmac.new(secret.encode(), text.encode(), hashlib.sha256).hexdigest()


def problem_with(authorization: HostAuthorization | None, quote: Quote, *, secret: str | None,
                 now: datetime, max_ahead_seconds: int, spent: bool) -> str | None:
    """Return why the authorization must be refused, or None when it is good.

    Problems: `missing`, `no_host_secret` (the terminal's secret is not configured),
    `invalid` (wrong signature), `expired`, `too_far_ahead`, `replayed` (already spent).
    """
    if authorization is None:
        return "missing"
    if not secret:
        return "no_host_secret"
    expected = sign(secret, quote.terminal_id, quote.id, quote.amount.value,
                    quote.amount.currency, authorization.expires_at)
    if not hmac.compare_digest(expected, authorization.signature.lower()):
        return "invalid"
    if authorization.expires_at <= now.timestamp():
        return "expired"
    if authorization.expires_at > now.timestamp() + max_ahead_seconds:
        return "too_far_ahead"
    if spent:
        return "replayed"
    return None
