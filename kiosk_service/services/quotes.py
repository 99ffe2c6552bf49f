"""Quotes: plan the customer's mix from the notes nobody else holds, and hold them."""

from __future__ import annotations

import logging
import uuid
from dataclasses import replace
from datetime import timedelta

from denomination import NotDispensable, plan_mix
from denomination.catalogue import Catalogue
from denomination.errors import InvalidRequest
from denomination.plan import Plan
from denomination.policy import DispensingPolicy
from denomination.preferences import Preference, PreferenceKind
from kiosk_service.errors import QuoteIsPreview
from kiosk_service.hardware.clock import Clock
from kiosk_service.metrics import Metrics
from kiosk_service.persistence.unit_of_work import SqlUnitOfWork
from kiosk_service.records import Quote, QuoteRequest, QuoteStatus, Terminal

log = logging.getLogger("cashmix.quotes")

#: The menu a quote offers next to the chosen mix.
OPTIONS = Preference(PreferenceKind.OPTIONS)
#: How a preview's id starts: previews are stored nowhere, so their ids say what they were.
PREVIEW_ID_PREFIX = "preview-"


def create_quote(terminal_id: str, request: QuoteRequest, *, uow: SqlUnitOfWork, clock: Clock,
                 hold: timedelta, metrics: Metrics | None = None,
                 catalogue: Catalogue | None = None) -> Quote:
    """Plan the mix for `request` and hold its notes until the quote expires; return the quote
    (a preview, stored nowhere and holding nothing, when `request.hold` is False).

    Under the terminal's lock: expired holds are released, the mix is planned from the notes
    no live quote holds, and held; so two quotes never hold the same notes. The terminal's
    dispensing policy decides the kind of a request without one, refuses kinds it does not
    offer, holds back its reserve from wishes that may not use it, and may shorten `hold`.
    Raises NotFound (`not_found`), KindNotOffered (`kind_not_offered`), InvalidRequest
    (`invalid_request`: wrong currency), NotDispensable (`not_dispensable`, with the nearest
    payable amounts) and the optimiser's errors.
    """
    now = clock.now()
    kind = str(request.preference.kind) if request.preference else "default"
    try:
        with uow:
            terminal, held, expired = uow.terminals.get_for_quote(terminal_id, at=now)
            policy = terminal.dispensing
            request = replace(request, preference=policy.admit(request.preference))
            kind = str(request.preference.kind)
            _check_currency(terminal, request)
            if expired:
                held |= uow.quotes.release_expired(terminal_id, at=now)
            free = terminal.cassettes_less(held)
            plan = _plan(terminal, policy.cassettes_for(request.preference, free),
                         request.amount.value, request.preference, catalogue)
            alternatives = _alternatives(terminal, policy, free, plan, request, catalogue)
            # The service's hold is the ceiling; a terminal's policy may only shorten it.
            expires_at = now + min(hold, timedelta(seconds=policy.quote_expiry_seconds))
            status = QuoteStatus.HELD if request.hold else QuoteStatus.PREVIEW
            quote_id = uuid.uuid4().hex if request.hold else PREVIEW_ID_PREFIX + uuid.uuid4().hex
            quote = Quote(quote_id, terminal_id, request.amount, request.preference,
                          plan, alternatives, status, now, expires_at)
            if request.hold:
                with uow.sent_together():
                    uow.quotes.add(quote)
            uow.commit()
    except NotDispensable:
        _count(metrics, terminal_id, "not_dispensable", kind)
        raise
    _count(metrics, terminal_id, "exact" if plan.exact else "inexact", kind)
    if metrics is not None:
        metrics.plans.labels(str(plan.status)).inc()
    if log.isEnabledFor(logging.INFO):     # the line's fields cost more than its check
        log.info(f"quote {status}", extra={"event": "quote.created", "terminal": terminal_id,
                                      "quote": quote.id, "amount": request.amount.value,
                                      "kind": kind, "exact": plan.exact, "notes": plan.notes})
    return quote


def get_quote(terminal_id: str, quote_id: str, *, uow: SqlUnitOfWork, clock: Clock) -> Quote:
    """Return the quote as it stands now (`expired` once its hold ran out); raises NotFound
    (`not_found`) and QuoteIsPreview (`quote_is_preview`)."""
    refuse_preview(quote_id)
    with uow:
        quote = uow.quotes.get(terminal_id, quote_id)
    return quote.as_seen_at(clock.now())


def refuse_preview(quote_id: str) -> None:
    """Raise QuoteIsPreview (`quote_is_preview`) when `quote_id` names a preview."""
    if quote_id.startswith(PREVIEW_ID_PREFIX):
        raise QuoteIsPreview(
            "That quote was a preview (hold: false): it held no notes, so it cannot be read "
            "back or dispensed. Ask for the mix again without hold: false to hold it.",
            quote=quote_id)


def _check_currency(terminal: Terminal, request: QuoteRequest) -> None:
    if request.amount.currency != terminal.currency:
        raise InvalidRequest("the terminal pays another currency", {
            "amount.currency": [f"terminal {terminal.id} pays {terminal.currency}"]})


def _plan(terminal: Terminal, free, amount: int, preference: Preference,
          catalogue: Catalogue | None) -> Plan:
    try:
        return plan_mix(amount, terminal.currency, free, preference,
                        max_notes=terminal.note_limit, catalogue=catalogue)
    except NotDispensable as error:
        error.details["currency"] = terminal.currency
        raise


def _alternatives(terminal: Terminal, policy: DispensingPolicy, free, plan: Plan,
                  request: QuoteRequest, catalogue: Catalogue | None) -> tuple[Plan, ...]:
    if request.preference.kind == PreferenceKind.OPTIONS:
        return tuple(plan.options)
    wanted = not plan.exact if request.alternatives is None else request.alternatives
    if not wanted:
        return ()
    try:
        menu = plan_mix(request.amount.value, terminal.currency,
                        policy.cassettes_for(OPTIONS, free), OPTIONS,
                        max_notes=terminal.note_limit, catalogue=catalogue)
    except NotDispensable:
        return ()
    return tuple(option for option in menu.options
                 if dict(option.by_cassette) != dict(plan.by_cassette))


def _count(metrics: Metrics | None, terminal_id: str, outcome: str, kind: str) -> None:
    if metrics is not None:
        metrics.quotes.labels(terminal_id, outcome, kind).inc()
