"""Dispenses: pay a held quote on the dispenser, once per idempotency key, and account for it.

Three steps, each its own transaction where the database is involved (idempotency.py keeps
one key to one dispense, settlement.py settles, replanning.py re-plans after a jam, and the
device-only cycle is kiosk_service/hardware/cycle.py):
1. begin: under the terminal lock, check the key, the host's authorization and the quote, and
   record the dispense as in flight with the device's counters (nothing has moved yet);
2. drive the device: dispense, present, wait for the take (a jam may re-plan the amount from
   the other cassettes when the request allows it);
3. finish: from the counters' difference, record where every note went and update the
   cassette counts in the same transaction as the journal entry.
A process that dies between 1 and 3 leaves the dispense in flight; recovery (recovery.py)
runs step 3 from the device's counters before the service takes new work.
"""

from __future__ import annotations

import contextlib
import logging
import uuid
from collections.abc import Iterator, Mapping
from dataclasses import dataclass

from denomination.catalogue import Catalogue
from kiosk_service.devices import Device, DispenserPool
from kiosk_service.errors import (
    AuthorizationRefused,
    CassetteUnavailable,
    DeviceError,
    InvalidState,
    QuoteExpired,
    QuoteUsed,
)
from kiosk_service.hardware import DispenserError, ItemsTaken, NoItems
from kiosk_service.hardware.clock import Clock
from kiosk_service.hardware.cycle import drive, reset_if_needed
from kiosk_service.metrics import Metrics
from kiosk_service.persistence.unit_of_work import SqlUnitOfWork
from kiosk_service.records import (
    Dispense,
    DispenseRequest,
    DispenseState,
    JournalEntry,
    NoteOutcome,
    Quote,
    QuoteStatus,
    Terminal,
)
from kiosk_service.services.accounting import snapshot
from kiosk_service.services.authorization import PROBLEMS, problem_with
from kiosk_service.services.idempotency import check_key, earlier_dispense, request_hash
from kiosk_service.services.quotes import refuse_preview
from kiosk_service.services.replanning import replanner
from kiosk_service.services.settlement import finish, observe, settle_abandoned, settle_output

log = logging.getLogger("cashmix.dispenses")


@dataclass(frozen=True, slots=True)
class DispenseSettings:
    """How dispenses run: seconds to wait for the take (0: return at `presented`), how far
    ahead a host authorization may expire, where host secrets are read (the environment), and
    which process runs them (`owner`, see recovery.py)."""

    take_timeout: float
    authorization_max_seconds: int
    host_secrets: Mapping[str, str]
    owner: str = ""


@dataclass(frozen=True, slots=True)
class Begun:
    """What step 1 gives: the dispense, and the quote it pays (None for a replayed key, whose
    dispense is the earlier one)."""

    dispense: Dispense
    quote: Quote | None = None

    @property
    def replayed(self) -> bool:
        """True when the key was seen before: nothing new was started."""
        return self.quote is None


def dispense_quote(terminal_id: str, request: DispenseRequest, *, idempotency_key: str | None,
                   actor: str, uow: SqlUnitOfWork, clock: Clock, devices: DispenserPool,
                   settings: DispenseSettings, metrics: Metrics | None = None,
                   catalogue: Catalogue | None = None) -> tuple[Dispense, bool]:
    """Pay the quote; return the dispense and whether it is a replay of an earlier request.

    The same key and body return the first dispense again and never move a note. Raises
    IdempotencyKeyRequired, IdempotencyKeyReused (`idempotency_key_reused`), NotFound,
    AuthorizationRefused (`authorization_refused`, journalled), QuoteIsPreview
    (`quote_is_preview`), QuoteUsed, QuoteExpired, CassetteUnavailable, InvalidState
    (`invalid_state`: notes still wait at the output), DeviceError (`device_error`: the
    dispenser cannot be opened), TerminalBusy (`terminal_busy`: another process drives the
    device past the lock timeout). Dispenses a dead process left in flight on this terminal
    are settled first (settle_abandoned). A jam or a failure after notes moved is not an error: the
    dispense says what came out.
    """
    key = check_key(idempotency_key)
    with uow:
        terminal = uow.terminals.get(terminal_id)
    with _cycle(devices, terminal) as device:
        settle_abandoned(terminal_id, device.driver, uow=uow, clock=clock, owner=settings.owner)
        reset_if_needed(device.driver)
        settle_output(terminal_id, device.driver, uow=uow, clock=clock)
        status = device.driver.status()
        before = snapshot(status)
        if not status.position.empty:
            with uow:
                replay = earlier_dispense(uow, terminal_id, key, request)
            if replay is not None:
                return replay, True
            raise InvalidState(f"notes wait at the output position ({status.position}); "
                               "retract them first", position=str(status.position))
        begun = begin_dispense(terminal_id, request, key, actor, before,
                               uow=uow, clock=clock, settings=settings)
        if begun.replayed:
            return begun.dispense, True
        quote, dispense = begun.quote, begun.dispense
        error = drive(device.driver, dict(quote.plan.by_cassette), quote.amount.value,
                       take_timeout=settings.take_timeout,
                       replan=replanner(quote, before, uow=uow, clock=clock, driver=device.driver,
                                        catalogue=catalogue)
                       if request.complete_from_other_cassettes else None)
        finished = finish(terminal_id, dispense.id, device.driver.status(), error=error,
                          actor=actor, kind="dispense_finished", uow=uow, clock=clock)
    observe(metrics, finished)
    return finished, False


def get_dispense(terminal_id: str, dispense_id: str, *, uow: SqlUnitOfWork, clock: Clock,
                 devices: DispenserPool) -> Dispense:
    """Return the dispense; raises NotFound (`not_found`).

    A dispense still `presented` (the service returned before the customer acted) is settled
    from the device when the customer has since taken the notes or the device retracted them.
    """
    with uow:
        terminal = uow.terminals.get(terminal_id)
        dispense = uow.dispenses.get(terminal_id, dispense_id)
        latest = uow.dispenses.latest_id(terminal_id)
    if dispense.state != DispenseState.PRESENTED or latest != dispense_id:
        return dispense
    with _cycle(devices, terminal) as device:
        settle_output(terminal_id, device.driver, uow=uow, clock=clock)
    with uow:
        return uow.dispenses.get(terminal_id, dispense_id)


def retract_dispense(terminal_id: str, dispense_id: str, *, actor: str, uow: SqlUnitOfWork,
                     clock: Clock, devices: DispenserPool) -> Dispense:
    """Retract presented notes the customer did not take; return the dispense as it ends.

    When the customer took them first the dispense ends `taken`. Raises NotFound and
    InvalidState (`invalid_state`) unless the dispense is `presented`.
    """
    with uow:
        terminal = uow.terminals.get(terminal_id)
        dispense = uow.dispenses.get(terminal_id, dispense_id)
        latest = uow.dispenses.latest_id(terminal_id)
    if dispense.state != DispenseState.PRESENTED or latest != dispense_id:
        raise InvalidState(f"dispense {dispense_id} is {dispense.state}, not presented",
                           state=str(dispense.state))
    with _cycle(devices, terminal) as device:
        with contextlib.suppress(ItemsTaken, NoItems):
            device.driver.retract()     # items_taken: the customer was quicker
        return finish(terminal_id, dispense_id, device.driver.status(), error=None,
                      actor=actor, kind="dispense_retracted", uow=uow, clock=clock)


def begin_dispense(terminal_id: str, request: DispenseRequest, key: str, actor: str,
                   before: Mapping, *, uow: SqlUnitOfWork, clock: Clock,
                   settings: DispenseSettings) -> Begun:
    """Step 1: the earlier dispense of a replayed key, or a new in-flight dispense of the
    quote measured against the device counters `before`; raises as dispense_quote."""
    now = clock.now()
    with uow:
        terminal = uow.terminals.get_for_update(terminal_id)
        earlier = earlier_dispense(uow, terminal_id, key, request)
        if earlier is not None:
            return Begun(earlier)
        refuse_preview(request.quote_id)
        quote = uow.quotes.get(terminal_id, request.quote_id)
        authorization = request.authorization
        problem = problem_with(
            authorization, quote, secret=settings.host_secrets.get(terminal.host_secret_env or ""),
            now=now, max_ahead_seconds=settings.authorization_max_seconds,
            spent=authorization is not None
            and uow.authorizations.used(terminal_id, authorization.signature))
        if problem is not None:
            uow.journal.add(JournalEntry("dispense_refused", terminal_id, actor, now,
                                         subject=quote.id, reason=PROBLEMS[problem],
                                         details={"idempotency_key": key, "problem": problem}))
            uow.commit()
            log.warning("dispense refused", extra={"event": "dispense.refused",
                                                   "terminal": terminal_id, "quote": quote.id,
                                                   "problem": problem})
            raise AuthorizationRefused(f"The dispense is refused. {PROBLEMS[problem]}",
                                       problem=problem)
        if quote.status in (QuoteStatus.DISPENSING, QuoteStatus.DISPENSED):
            raise QuoteUsed(f"Quote {quote.id} was dispensed already; ask for a new quote.")
        if quote.as_seen_at(now).status == QuoteStatus.EXPIRED:
            raise QuoteExpired(f"Quote {quote.id} has expired; ask for a new quote.")
        _check_cassettes(terminal, quote)
        uow.authorizations.spend(terminal_id, quote.id, authorization.signature, now)
        dispense = Dispense(uuid.uuid4().hex, terminal_id, quote.id, quote.amount,
                            DispenseState.IN_FLIGHT,
                            tuple(NoteOutcome(cid, terminal.cassette(cid).denomination, n)
                                  for cid, n in quote.plan.by_cassette.items()),
                            now, now)
        uow.dispenses.add(dispense, device_before=before,
                          complete_from_others=request.complete_from_other_cassettes,
                          owner=settings.owner)
        uow.idempotency.add(terminal_id, key, request_hash(request), dispense.id, now)
        uow.quotes.start_dispensing(terminal_id, quote.id)
        uow.journal.add(JournalEntry("dispense_started", terminal_id, actor, now,
                                     subject=dispense.id,
                                     details={"quote": quote.id, "amount": quote.amount.value,
                                              "currency": quote.amount.currency,
                                              "plan": dict(quote.plan.by_cassette)}))
        uow.commit()
    return Begun(dispense, quote)


def _check_cassettes(terminal: Terminal, quote: Quote) -> None:
    problems = {}
    for cassette_id, notes in quote.plan.by_cassette.items():
        cassette = terminal.cassette(cassette_id)
        if cassette is None or not cassette.dispensable or cassette.count < notes:
            problems[cassette_id] = ["can no longer give the quoted notes"]
    if problems:
        raise CassetteUnavailable("a cassette of the quote changed; ask for a new quote",
                                  cassettes=problems)


@contextlib.contextmanager
def _cycle(devices: DispenserPool, terminal: Terminal) -> Iterator[Device]:
    """Hold the terminal's device for a cycle (every process, see devices.py); raises
    DeviceError when it cannot be opened and TerminalBusy (`terminal_busy`)."""
    with contextlib.ExitStack() as stack:
        try:
            device = stack.enter_context(devices.cycle(terminal))
        except DispenserError as error:
            raise DeviceError(f"the dispenser of {terminal.id} is unavailable: "
                              f"{error.message}", device_code=error.code) from error
        yield device
