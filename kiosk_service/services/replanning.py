"""After a cassette fails mid-dispense: the whole amount planned again from the other
cassettes, from the notes nobody holds, with the quote's hold moved to what it now takes."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import replace

from denomination import NotDispensable, plan_mix
from denomination.catalogue import Catalogue
from kiosk_service.hardware import Dispenser
from kiosk_service.hardware.clock import Clock
from kiosk_service.persistence.unit_of_work import SqlUnitOfWork
from kiosk_service.records import Quote
from kiosk_service.services.accounting import outcome


def replanner(quote: Quote, before: Mapping, *, uow: SqlUnitOfWork, clock: Clock,
              driver: Dispenser, catalogue: Catalogue | None = None
              ) -> Callable[[str | None], dict[str, int] | None]:
    """Return a function that plans the whole amount again without the failed cassette, from
    the notes nobody holds, and makes the quote hold what it took and will take."""

    def replan(failed: str | None) -> dict[str, int] | None:
        now = clock.now()
        status = driver.status()
        with uow:
            terminal = uow.terminals.get_for_update(quote.terminal_id)
            held = uow.quotes.held_notes(quote.terminal_id, at=now)
            for cassette_id, n in quote.plan.by_cassette.items():
                held[cassette_id] = held.get(cassette_id, 0) - n
            taken = {n.cassette_id: n.picked for n in outcome(before, status, {})}
            for cassette_id, n in taken.items():
                held[cassette_id] = held.get(cassette_id, 0) + n
            free = tuple(replace(c, status=status.cassette(c.id).status)
                         if c.id == failed or _device_says_down(status, c.id) else c
                         for c in terminal.cassettes_less(held))
            try:
                plan = plan_mix(quote.amount.value, quote.amount.currency, free,
                                quote.preference, max_notes=terminal.note_limit,
                                catalogue=catalogue)
            except NotDispensable:
                return None
            hold = dict(taken)
            for cassette_id, n in plan.by_cassette.items():
                hold[cassette_id] = hold.get(cassette_id, 0) + n
            uow.quotes.replace_hold(quote, hold)
            uow.commit()
        return dict(plan.by_cassette)

    return replan


def _device_says_down(status, cassette_id: str) -> bool:
    try:
        return not status.cassette(cassette_id).dispensable
    except KeyError:
        return True
