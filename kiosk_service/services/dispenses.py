"""Dispenses: pay a held quote on the dispenser, once per idempotency key, and account for it.

Three steps, each its own transaction where the database is involved:
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
import hashlib
import json
import logging
import uuid
from collections.abc import Callable, Iterator, Mapping
from dataclasses import asdict, dataclass, replace

from denomination import NotDispensable, plan_mix
from kiosk_service.devices import Device, DispenserPool
from kiosk_service.errors import (
    AuthorizationRefused,
    CassetteUnavailable,
    DeviceError,
    IdempotencyKeyRequired,
    IdempotencyKeyReused,
    InvalidState,
    QuoteExpired,
    QuoteUsed,
)
from kiosk_service.hardware import (
    CashUnitError,
    DeviceState,
    Dispenser,
    DispenserError,
    ItemsTaken,
    NoItems,
    OutputPosition,
)
from kiosk_service.hardware.clock import Clock
from kiosk_service.hardware.cycle import bring_to_idle
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
from kiosk_service.services.accounting import outcome, snapshot, state_of
from kiosk_service.services.authorization import PROBLEMS, problem_with
from kiosk_service.services.owners import alive_elsewhere
from kiosk_service.services.quotes import refuse_preview

log = logging.getLogger("cashmix.dispenses")

#: The longest Idempotency-Key accepted (the column's width).
MAX_KEY_LENGTH = 200


@dataclass(frozen=True, slots=True)
class DispenseSettings:
    """How dispenses run: seconds to wait for the take (0: return at `presented`), how far
    ahead a host authorization may expire, where host secrets are read (the environment), and
    which process runs them (`owner`, see recovery.py)."""

    take_timeout: float
    authorization_max_seconds: int
    host_secrets: Mapping[str, str]
    owner: str = ""


def request_hash(request: DispenseRequest) -> str:
    """Return the fingerprint of a dispense body, for idempotency."""
    return hashlib.sha256(json.dumps(asdict(request), sort_keys=True).encode()).hexdigest()


def dispense_quote(terminal_id: str, request: DispenseRequest, *, idempotency_key: str | None,
                   actor: str, uow: SqlUnitOfWork, clock: Clock, devices: DispenserPool,
                   settings: DispenseSettings,
                   metrics: Metrics | None = None) -> tuple[Dispense, bool]:
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
    if not idempotency_key or len(idempotency_key) > MAX_KEY_LENGTH:
        raise IdempotencyKeyRequired(
            "a dispense needs an Idempotency-Key header",
            {"Idempotency-Key": [f"required, at most {MAX_KEY_LENGTH} characters"]})
    with uow:
        terminal = uow.terminals.get(terminal_id)
    with _cycle(devices, terminal) as device:
        settle_abandoned(terminal_id, device.driver, uow=uow, clock=clock, owner=settings.owner)
        _reset_if_needed(device.driver)
        settle_output(terminal_id, device.driver, uow=uow, clock=clock)
        status = device.driver.status()
        before = snapshot(status)
        if not status.position.empty:
            replay = _replay(terminal_id, idempotency_key, request, uow=uow)
            if replay is not None:
                return replay, True
            raise InvalidState(f"notes wait at the output position ({status.position}); "
                               "retract them first", position=str(status.position))
        begun = begin_dispense(terminal_id, request, idempotency_key, actor, before,
                               uow=uow, clock=clock, settings=settings)
        if isinstance(begun, Dispense):
            return begun, True
        quote, dispense = begun
        error = _drive(device.driver, dict(quote.plan.by_cassette), quote.amount.value,
                       take_timeout=settings.take_timeout,
                       replan=_replanner(quote, before, uow=uow, clock=clock, driver=device.driver)
                       if request.complete_from_other_cassettes else None)
        finished = finish(terminal_id, dispense.id, device.driver.status(), error=error,
                          actor=actor, kind="dispense_finished", uow=uow, clock=clock)
    _observe(metrics, finished)
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


def settle_output(terminal_id: str, driver: Dispenser, *, uow: SqlUnitOfWork,
                  clock: Clock) -> None:
    """Bring the output position's news into the books; call it holding the device's lock.

    A take the driver has not reported yet is collected (drivers refuse new work until it
    is), and the newest dispense, if the books still say `presented` while the device no
    longer does, is finished from the device's counters.
    """
    if driver.status().position == OutputPosition.TAKEN:
        with contextlib.suppress(NoItems):
            driver.wait_for_take(0, retract_on_timeout=False)
    status = driver.status()
    if status.position == OutputPosition.PRESENTED:
        return
    with uow:
        latest = uow.dispenses.latest_id(terminal_id)
        dispense = uow.dispenses.get(terminal_id, latest) if latest else None
    if dispense is not None and dispense.state == DispenseState.PRESENTED:
        finish(terminal_id, dispense.id, status, error=None, actor="dispenser",
               kind="dispense_settled", uow=uow, clock=clock)


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


def finish(terminal_id: str, dispense_id: str, status, *, error: str | None, actor: str,
           kind: str, uow: SqlUnitOfWork, clock: Clock, only_in_flight: bool = False) -> Dispense:
    """Record where the dispense's notes went (from the device `status`), take the notes not
    yet counted off the cassettes, mark jammed cassettes inoperative and journal it, in one
    transaction. Finishing again (a retract, a later take) counts no note twice;
    `only_in_flight` leaves a dispense alone that is no longer in flight."""
    now = clock.now()
    with uow:
        terminal = uow.terminals.get_for_update(terminal_id)
        dispense = uow.dispenses.get(terminal_id, dispense_id)
        if only_in_flight and dispense.state != DispenseState.IN_FLIGHT:
            return dispense         # another process settled it first
        planned = {n.cassette_id: n.planned for n in dispense.notes}
        notes = outcome(uow.dispenses.device_before(terminal_id, dispense_id), status, planned)
        notes = _with_planned(notes, dispense.notes)
        recorded = {n.cassette_id: n.picked for n in dispense.notes}
        for note in notes:
            _take_off(terminal, note.cassette_id, note.picked - recorded.get(note.cassette_id, 0),
                      status, actor=actor, uow=uow, now=now)
        finished = replace(dispense, state=state_of(notes, status), notes=notes,
                           updated_at=now, error=error or dispense.error)
        uow.dispenses.save(finished)
        uow.quotes.mark_dispensed(terminal_id, dispense.quote_id)
        uow.journal.add(JournalEntry(
            kind, terminal_id, actor, now, subject=dispense_id,
            before={"state": str(dispense.state)},
            after={"state": str(finished.state), "outcome": finished.outcome,
                   "dispensed": finished.dispensed_value, "shortfall": finished.shortfall},
            details={"quote": dispense.quote_id, "error": finished.error,
                     "notes": [asdict(n) for n in notes]}))
        uow.commit()
    log.info("dispense recorded", extra={
        "event": kind.replace("_", "."), "terminal": terminal_id, "dispense": dispense_id,
        "state": str(finished.state), "outcome": finished.outcome, "error": finished.error})
    return finished


def _replay(terminal_id: str, key: str, request: DispenseRequest, *,
            uow: SqlUnitOfWork) -> Dispense | None:
    """Return the dispense an earlier request with this key started, or None."""
    with uow:
        seen = uow.idempotency.find(terminal_id, key)
        if seen is None:
            return None
        if seen[0] != request_hash(request):
            raise IdempotencyKeyReused("this Idempotency-Key was used with another body")
        return uow.dispenses.get(terminal_id, seen[1])


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


def settle_abandoned(terminal_id: str, driver: Dispenser, *, uow: SqlUnitOfWork, clock: Clock,
                     owner: str) -> list[Dispense]:
    """Finish, from the device's counters, the dispenses a dead process left in flight; call
    it inside the terminal's cycle. Return them as recorded.

    A live process holds the terminal's cycle from the start of its dispense to its finish,
    so whatever is in flight while this one holds it was abandoned (unless its owner still
    runs on this host, which only a lost database connection explains: left alone). The
    device is brought to idle first; no note is dispensed again.
    """
    with uow:
        in_flight = [dispense for dispense, by in uow.dispenses.in_flight(terminal_id)
                     if not alive_elsewhere(by, owner)]
    if not in_flight:
        return []
    bring_to_idle(driver)
    status = driver.status()
    return [finish(terminal_id, dispense.id, status, error="recovered", actor="recovery",
                   kind="dispense_recovered", uow=uow, clock=clock, only_in_flight=True)
            for dispense in in_flight]


def begin_dispense(terminal_id: str, request: DispenseRequest, key: str, actor: str,
           before: Mapping, *, uow: SqlUnitOfWork, clock: Clock,
           settings: DispenseSettings) -> Dispense | tuple[Quote, Dispense]:
    """Step 1: return the earlier dispense of a replayed key, or (quote, new in-flight
    dispense) measured against the device counters `before`; raises as dispense_quote."""
    fingerprint = request_hash(request)
    now = clock.now()
    with uow:
        terminal = uow.terminals.get_for_update(terminal_id)
        seen = uow.idempotency.find(terminal_id, key)
        if seen is not None:
            if seen[0] != fingerprint:
                raise IdempotencyKeyReused("this Idempotency-Key was used with another body")
            return uow.dispenses.get(terminal_id, seen[1])
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
        uow.idempotency.add(terminal_id, key, fingerprint, dispense.id, now)
        uow.quotes.start_dispensing(terminal_id, quote.id)
        uow.journal.add(JournalEntry("dispense_started", terminal_id, actor, now,
                                     subject=dispense.id,
                                     details={"quote": quote.id, "amount": quote.amount.value,
                                              "currency": quote.amount.currency,
                                              "plan": dict(quote.plan.by_cassette)}))
        uow.commit()
    return quote, dispense


def _check_cassettes(terminal: Terminal, quote: Quote) -> None:
    problems = {}
    for cassette_id, notes in quote.plan.by_cassette.items():
        cassette = terminal.cassette(cassette_id)
        if cassette is None or not cassette.dispensable or cassette.count < notes:
            problems[cassette_id] = ["can no longer give the quoted notes"]
    if problems:
        raise CassetteUnavailable("a cassette of the quote changed; ask for a new quote",
                                  cassettes=problems)


def _drive(driver: Dispenser, counts: dict[str, int], amount: int, *, take_timeout: float,
           replan: Callable[[str | None], dict[str, int] | None] | None) -> str | None:
    """Run the device cycle; return the error code of what went wrong, or None."""
    error = None
    try:
        driver.dispense(counts, amount=amount)
    except DispenserError as failure:
        if failure.result is None:
            return failure.code                     # refused up front: nothing moved
        error = failure.code
        _reset_if_needed(driver)
        if isinstance(failure, CashUnitError) and replan is not None:
            error = _complete(driver, amount, replan(failure.cassette)) or error
    except Exception:
        log.exception("dispense crashed", extra={"event": "dispense.crashed"})
        return "internal_error"
    if driver.status().position != OutputPosition.STACKED:
        return error or "no_items"
    try:
        driver.present()
        if take_timeout > 0:
            driver.wait_for_take(take_timeout)
    except DispenserError as failure:
        _reset_if_needed(driver)
        if driver.status().position == OutputPosition.STACKED:
            driver.reject()
        return failure.code
    return error


def _complete(driver: Dispenser, amount: int, counts: dict[str, int] | None) -> str | None:
    """Replace a partial stack by a full one from `counts`; return an error code or None."""
    if counts is None:
        return None
    if driver.status().position == OutputPosition.STACKED:
        driver.reject()
    try:
        driver.dispense(counts, amount=amount)
    except DispenserError as failure:
        _reset_if_needed(driver)
        return failure.code
    return "completed_after_jam"


def _reset_if_needed(driver: Dispenser) -> None:
    if driver.status().device != DeviceState.ONLINE:
        driver.reset()


def _replanner(quote: Quote, before: Mapping, *, uow: SqlUnitOfWork, clock: Clock,
               driver: Dispenser) -> Callable[[str | None], dict[str, int] | None]:
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
                                quote.preference, max_notes=terminal.note_limit)
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


def _with_planned(notes: tuple[NoteOutcome, ...],
                  started: tuple[NoteOutcome, ...]) -> tuple[NoteOutcome, ...]:
    """Keep a row for every planned cassette, even one the device never touched."""
    moved = {n.cassette_id for n in notes}
    return tuple(sorted(notes + tuple(n for n in started if n.cassette_id not in moved),
                        key=lambda n: n.cassette_id))


def _take_off(terminal: Terminal, cassette_id: str, picked: int, status, *, actor: str,
              uow: SqlUnitOfWork, now) -> None:
    """Take `picked` newly counted notes off the cassette; follow the device's status of it."""
    cassette = terminal.cassette(cassette_id)
    if cassette is None:
        return
    changed = replace(cassette, count=max(0, cassette.count - picked))
    try:
        unit = status.cassette(cassette.id)
    except KeyError:
        unit = None
    device_status = unit.status if unit is not None else cassette.status
    if unit is not None and unit.shortfall and unit.count < changed.count:
        # The device ran out before the declared count: the notes were never loaded. Follow
        # the device, and say so, so that staff find the mismatch in the journal.
        uow.journal.add(JournalEntry("cassette_count_mismatch", terminal.id, actor, now,
                                     subject=cassette.id,
                                     reason="the dispenser found fewer notes than declared",
                                     before={"count": changed.count},
                                     after={"count": unit.count},
                                     details={"missing": changed.count - unit.count}))
        changed = replace(changed, count=unit.count)
    if device_status != cassette.status:
        changed = replace(changed, status=device_status)
        uow.journal.add(JournalEntry("cassette_status_changed", terminal.id, actor, now,
                                     subject=cassette.id, reason="reported by the dispenser",
                                     before={"status": str(cassette.status)},
                                     after={"status": str(device_status)}))
    if changed != cassette:
        uow.terminals.save_cassette(terminal.id, changed)


def _observe(metrics: Metrics | None, dispense: Dispense) -> None:
    if metrics is None:
        return
    metrics.dispenses.labels(dispense.terminal_id, dispense.outcome).inc()
    for note in dispense.notes:
        if note.delivered:
            metrics.notes_dispensed.labels(dispense.terminal_id, dispense.amount.currency,
                                           str(note.denomination)).inc(note.delivered)
