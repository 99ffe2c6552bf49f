"""Demo only: the host's authorization of a dispense, signed by the service itself.

A real terminal gets this signature from the bank's host after it has debited the account;
the demo has no host, so the service signs with the demo terminal's secret. Registered only in
demo mode (see kiosk_page.init_app); every answer says `demo: true`.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta

from flask import Blueprint, jsonify, request

from kiosk_service.api.security import requires
from kiosk_service.errors import InvalidState
from kiosk_service.hardware.clock import Clock
from kiosk_service.persistence.unit_of_work import SqlUnitOfWork
from kiosk_service.records import HostAuthorization, QuoteStatus, Role
from kiosk_service.services.authorization import sign
from kiosk_service.services.quotes import get_quote
from kiosk_service.web_deps import current_deps

blp = Blueprint("kiosk_demo_signer", __name__, url_prefix="/kiosk")

#: How long a demo authorization stays good: enough for the customer to press "dispense".
LIFETIME = timedelta(seconds=60)


def demo_authorization(terminal_id: str, quote_id: str, *, uow: SqlUnitOfWork, clock: Clock,
                       host_secrets: Mapping[str, str]) -> HostAuthorization:
    """Return a host authorization for a held quote of the terminal.

    Raises NotFound (`not_found`) for an unknown quote, InvalidState (`invalid_state`) when the
    quote is no longer held or the terminal has no host secret configured.
    """
    quote = get_quote(terminal_id, quote_id, uow=uow, clock=clock)
    if quote.status != QuoteStatus.HELD:
        raise InvalidState(f"quote {quote_id} is {quote.status}, not held",
                           state=str(quote.status))
    with uow:
        terminal = uow.terminals.get(terminal_id)
    secret = host_secrets.get(terminal.host_secret_env or "")
    if not secret:
        raise InvalidState(f"terminal {terminal_id} has no host secret configured")
    expires_at = int((clock.now() + LIFETIME).timestamp())
    return HostAuthorization(expires_at, sign(secret, terminal_id, quote.id, quote.amount.value,
                                              quote.amount.currency, expires_at))


@blp.post("/<tid>/demo-authorization")
@requires(Role.KIOSK)
def authorize(tid: str):
    """Sign the quote named in the body (`{"quote_id": ...}`) as the demo host would."""
    quote_id = str((request.get_json(silent=True) or {}).get("quote_id", ""))[:64]
    deps = current_deps()
    signed = demo_authorization(tid, quote_id, uow=deps.unit_of_work(), clock=deps.clock,
                                host_secrets=deps.dispense_settings.host_secrets)
    return jsonify(expires_at=signed.expires_at, signature=signed.signature, demo=True)
