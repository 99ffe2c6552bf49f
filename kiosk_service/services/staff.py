"""Staff use cases behind the console: the terminal overview with run-out estimates, a checked
replenishment of several cassettes, and changes of the dispensing policy."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import timedelta
from typing import Any

from denomination.cassettes import Cassette, CassetteStatus
from denomination.catalogue import default_catalogue
from denomination.errors import InvalidRequest
from denomination.policy import DispensingPolicy
from kiosk_service.devices import DispenserPool
from kiosk_service.formatting import format_money
from kiosk_service.hardware.clock import Clock
from kiosk_service.persistence.unit_of_work import SqlUnitOfWork
from kiosk_service.records import ApiKey, JournalEntry, Terminal
from kiosk_service.services.cassettes import CassetteChange, change_cassette

#: How far back "recent demand" looks for the run-out estimate.
DEMAND_WINDOW = timedelta(days=7)


@dataclass(frozen=True, slots=True)
class CassetteState:
    """A cassette as the overview shows it: fill, warnings and days until it runs out."""

    cassette: Cassette
    fill_percent: int
    warnings: tuple[str, ...]
    notes_per_day: float
    days_left: float | None        # None: no recent demand


@dataclass(frozen=True, slots=True)
class Overview:
    """A terminal with the state of every cassette."""

    terminal: Terminal
    cassettes: tuple[CassetteState, ...]


def visible_terminals(key: ApiKey, *, uow: SqlUnitOfWork) -> list[str]:
    """Return the ids of the terminals the key's holder may see: its own, or all when unscoped."""
    with uow:
        ids = uow.terminals.ids()
    return [t for t in ids if key.may_act_on(t)]


def terminal(terminal_id: str, *, uow: SqlUnitOfWork) -> Terminal:
    """Return the terminal with its cassettes; raises NotFound."""
    with uow:
        return uow.terminals.get(terminal_id)


def overview(terminal_id: str, *, uow: SqlUnitOfWork, clock: Clock) -> Overview:
    """Return the terminal's cassettes with fill, warnings (`empty`, `low`, `inoperative`...)
    and a run-out estimate from the notes picked in the last DEMAND_WINDOW; raises NotFound."""
    now = clock.now()
    with uow:
        terminal = uow.terminals.get(terminal_id)
        picked = uow.dispenses.picked_since(terminal_id, now - DEMAND_WINDOW)
    return Overview(terminal, cassette_states(terminal, picked))


def cassette_states(terminal: Terminal, picked: Mapping[str, int]) -> tuple[CassetteState, ...]:
    """Return each cassette's fill, warnings and run-out estimate, given the notes `picked`
    per cassette in the last DEMAND_WINDOW (the overview's and the fleet page's figures)."""
    days = DEMAND_WINDOW / timedelta(days=1)
    states = []
    for cassette in terminal.cassettes:
        per_day = picked.get(cassette.id, 0) / days
        full = cassette.capacity or max(c.count for c in terminal.cassettes) or 1
        states.append(CassetteState(
            cassette, min(100, round(100 * cassette.count / full)), _warnings(cassette),
            per_day, cassette.count / per_day if per_day else None))
    return tuple(states)


def _warnings(cassette: Cassette) -> tuple[str, ...]:
    found = []
    if cassette.status != CassetteStatus.OK:
        found.append(str(cassette.status))
    if cassette.count == 0:
        found.append("empty")
    elif cassette.count <= cassette.low_threshold:
        found.append("low")
    return tuple(found)


def check_replenishment(terminal: Terminal, loaded: Mapping[str, int],
                        declared_total: int) -> dict[str, Any]:
    """Return {cassette id: (before, after)} for notes `loaded` per cassette when they add up to
    `declared_total` (minor units), the double-entry check; raises InvalidRequest
    (`invalid_request`) with every problem keyed by form field (`loaded.<id>`, `total`)."""
    problems: dict[str, list[str]] = {}
    plan, value = {}, 0
    for cassette in terminal.cassettes:
        notes = loaded.get(cassette.id, 0)
        if notes < 0:
            problems[f"loaded.{cassette.id}"] = ["must be 0 or more"]
            continue
        after = cassette.count + notes
        if cassette.capacity is not None and after > cassette.capacity:
            problems[f"loaded.{cassette.id}"] = [
                f"{cassette.count} + {notes} is over the capacity {cassette.capacity}"]
        if notes:
            plan[cassette.id] = (cassette.count, after)
            value += notes * cassette.denomination
    for unknown in set(loaded) - {c.id for c in terminal.cassettes}:
        problems[f"loaded.{unknown}"] = ["no such cassette"]
    if not plan and not problems:
        problems["_form"] = ["enter the notes loaded into at least one cassette"]
    if plan and value != declared_total:
        problems["total"] = [
            f"the notes entered add up to {format_money(value, terminal.currency)}, "
            f"not {format_money(declared_total, terminal.currency)}: count again"]
    if problems:
        raise InvalidRequest("the replenishment does not add up", problems)
    return plan


def replenish(terminal_id: str, loaded: Mapping[str, int], declared_total: int, *, actor: str,
              reason: str, uow: SqlUnitOfWork, clock: Clock,
              devices: DispenserPool) -> dict[str, tuple[int, int]]:
    """Add the `loaded` notes to each cassette (back in service), after the double-entry check
    against the counts as they stand now; journal one `cassette_replenished` per cassette and
    return {cassette id: (before, after)}. Raises InvalidRequest, NotFound, InvalidState and
    DeviceError (see change_cassette)."""
    with uow:
        terminal = uow.terminals.get(terminal_id)
    check_replenishment(terminal, loaded, declared_total)
    done = {}
    for cassette_id, notes in loaded.items():
        if notes:
            view = change_cassette(terminal_id, cassette_id, CassetteChange(
                reason, added=notes, replenish=True),
                actor=actor, uow=uow, clock=clock, devices=devices)
            done[cassette_id] = (view.cassette.count - notes, view.cassette.count)
    return done


def change_policy(terminal_id: str, fields: Mapping[str, Any], *, actor: str, reason: str,
                  uow: SqlUnitOfWork, clock: Clock) -> DispensingPolicy:
    """Validate and store the terminal's new dispensing policy (TOML form, note limit kept),
    journalled as `policy_changed` with before and after; raises InvalidRequest, NotFound."""
    if not reason.strip():
        raise InvalidRequest("a reason is required", {"reason": ["say why"]})
    now = clock.now()
    with uow:
        terminal = uow.terminals.get_for_update(terminal_id)
        currency = default_catalogue().currency(terminal.currency)
        policy = DispensingPolicy.from_mapping(dict(fields), currency)
        before = terminal.dispensing.to_mapping(currency)
        uow.terminals.save(replace(terminal, policy=policy))
        uow.journal.add(JournalEntry("policy_changed", terminal_id, actor, now,
                                     subject="policy", reason=reason, before=before,
                                     after=policy.to_mapping(currency)))
        uow.commit()
    return policy

