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


#: Each refusal's code, in a sentence for people (the code stays in the error's details).
PROBLEMS = {
    "missing": "The dispense has no host authorization; the bank's host must sign it.",
    "no_host_secret": "This terminal has no host secret configured, so no authorization can "
                      "be checked; set the environment variable its terminal file names.",
    "invalid": "The host authorization's signature does not match this quote.",
    "expired": "The host authorization has expired; ask the host to sign again.",
    "too_far_ahead": "The host authorization expires too far in the future to be accepted.",
    "replayed": "This host authorization was used before; each one pays out once.",
}


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
