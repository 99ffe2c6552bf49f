"""Settling a dispense: where its notes went (from the device's counters), the cassettes'
counts and statuses that follow, and the journal entry, in one transaction; and the dispenses
the output position or a dead process left to settle."""

from __future__ import annotations

import contextlib
import logging
from dataclasses import asdict, replace

from kiosk_service.hardware import Dispenser, NoItems, OutputPosition
from kiosk_service.hardware.clock import Clock
from kiosk_service.hardware.cycle import bring_to_idle
from kiosk_service.metrics import Metrics
from kiosk_service.persistence.unit_of_work import SqlUnitOfWork
from kiosk_service.records import Dispense, DispenseState, JournalEntry, NoteOutcome, Terminal
from kiosk_service.services.accounting import outcome, state_of
from kiosk_service.services.owners import alive_elsewhere

log = logging.getLogger("cashmix.dispenses")


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


def observe(metrics: Metrics | None, dispense: Dispense) -> None:
    if metrics is None:
        return
    metrics.dispenses.labels(dispense.terminal_id, dispense.outcome).inc()
    for note in dispense.notes:
        if note.delivered:
            metrics.notes_dispensed.labels(dispense.terminal_id, dispense.amount.currency,
                                           str(note.denomination)).inc(note.delivered)


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
