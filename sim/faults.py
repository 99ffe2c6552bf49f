"""Fault injection for the simulated dispenser: the `faults=` URL syntax and its decisions.

A fault list is comma-separated; each fault is `name[:arg[:arg]]`. A number written with a dot
(`0.01`) is a probability drawn from the simulator's seeded generator; a whole number is a
position in a schedule (the N-th pick, present or dispense, counting from 1 since the device
state was created). CID is a cassette id.

    double_pick:P | double_pick:CID:N   two notes picked together: both go to the reject bin,
                                        the device picks again
    pick_fail:P   | pick_fail:CID:N     an unreadable or skewed note goes to the reject bin, the
                                        device picks again
    jam:CID[:K]        cassette CID jams on the pick after its K-th (default 0: its next pick):
                       the note sticks in the transport, CID turns inoperative, reset() needed
    missing:CID[:N]    cassette CID reads as missing at every load, or is removed just before the
                       N-th dispense (until it is loaded again)
    short:CID:N        CID physically holds N notes fewer than staff declare at each load, so it
                       runs empty early (a count mismatch)
    extra:CID:N        CID physically holds N notes more than declared
    shutter[:N|:P]     the shutter fails to open on every present / the N-th present / with P
    no_take[:N|:P]     the customer walks away: every time / on the N-th present / with P
    power_loss:N[:K]   power fails during the N-th dispense after K notes are stacked (default 0)
    power_loss:P       power fails in a dispense with probability P, after a random note count

Example: `sim://?seed=7&faults=jam:B:3,double_pick:0.01,no_take:2`.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from enum import StrEnum

FAULT_SYNTAX = {
    "double_pick": "double_pick:P or double_pick:CID:N",
    "pick_fail": "pick_fail:P or pick_fail:CID:N",
    "jam": "jam:CID or jam:CID:K",
    "missing": "missing:CID or missing:CID:N",
    "short": "short:CID:N",
    "extra": "extra:CID:N",
    "shutter": "shutter, shutter:N or shutter:P",
    "no_take": "no_take, no_take:N or no_take:P",
    "power_loss": "power_loss:N, power_loss:N:K or power_loss:P",
}


class FaultKind(StrEnum):
    """The faults the simulator can inject."""

    DOUBLE_PICK = "double_pick"
    PICK_FAIL = "pick_fail"
    JAM = "jam"
    MISSING = "missing"
    SHORT = "short"
    EXTRA = "extra"
    SHUTTER = "shutter"
    NO_TAKE = "no_take"
    POWER_LOSS = "power_loss"


@dataclass(frozen=True, slots=True)
class Fault:
    """One parsed fault. Exactly one of `always`, `probability` or `at` says when it fires.

    `at` is the 1-based schedule position (pick number of `cassette`, present number or
    dispense number); `notes` is jam's K, short/extra's N, power_loss's K.
    """

    kind: FaultKind
    cassette: str | None = None
    probability: float | None = None
    at: int | None = None
    notes: int = 0
    always: bool = False


@dataclass(frozen=True, slots=True)
class FaultPlan:
    """Every fault of a simulator, with the decisions the device asks of them."""

    faults: tuple[Fault, ...] = ()

    @classmethod
    def parse(cls, text: str) -> FaultPlan:
        """Parse the `faults=` option; raises ValueError naming every bad entry."""
        faults, problems = [], []
        for entry in (part.strip() for part in text.split(",")):
            if not entry:
                continue
            try:
                faults.append(_parse_one(entry))
            except ValueError as error:
                problems.append(f"{entry!r}: {error}")
        if problems:
            raise ValueError("; ".join(problems))
        return cls(tuple(faults))

    def of(self, kind: FaultKind) -> tuple[Fault, ...]:
        """Return the faults of one kind."""
        return tuple(f for f in self.faults if f.kind == kind)

    def pick_fault(self, cassette: str, pick: int, rng: random.Random) -> FaultKind | None:
        """Return DOUBLE_PICK, PICK_FAIL or None for pick number `pick` of `cassette`."""
        for kind in (FaultKind.DOUBLE_PICK, FaultKind.PICK_FAIL):
            if any(_fires(f, pick, rng, cassette) for f in self.of(kind)):
                return kind
        return None

    def jams(self, cassette: str, picks_so_far: int) -> bool:
        """True when `cassette` jams on the pick after its `picks_so_far`-th."""
        return any(f.cassette == cassette and f.notes == picks_so_far
                   for f in self.of(FaultKind.JAM))

    def missing_at_load(self, cassette: str) -> bool:
        """True when `cassette` reads as missing whenever it is loaded (`missing:CID`)."""
        return any(f.cassette == cassette and not f.at for f in self.of(FaultKind.MISSING))

    def removed_before(self, dispense: int) -> set[str]:
        """Return the cassettes removed just before dispense number `dispense`."""
        return {f.cassette for f in self.of(FaultKind.MISSING) if f.at == dispense}

    def count_delta(self, cassette: str) -> int:
        """Return physical minus declared notes for a load of `cassette` (short/extra)."""
        delta = sum(f.notes for f in self.of(FaultKind.EXTRA) if f.cassette == cassette)
        return delta - sum(f.notes for f in self.of(FaultKind.SHORT) if f.cassette == cassette)

    def shutter_fails(self, present: int, rng: random.Random) -> bool:
        """True when the shutter fails on present number `present`."""
        return any(_fires(f, present, rng) for f in self.of(FaultKind.SHUTTER))

    def walks_away(self, present: int, rng: random.Random) -> bool:
        """True when the customer of present number `present` never takes the notes."""
        return any(_fires(f, present, rng) for f in self.of(FaultKind.NO_TAKE))

    def power_loss(self, dispense: int, notes: int, rng: random.Random) -> int | None:
        """Return after how many stacked notes dispense number `dispense` loses power, or None.

        `notes` is the dispense's size, for the random cut point of a probability fault.
        """
        for fault in self.of(FaultKind.POWER_LOSS):
            if fault.probability is not None:
                if rng.random() < fault.probability:
                    return rng.randrange(max(notes, 1))
            elif fault.at == dispense:
                return fault.notes
        return None


def _fires(fault: Fault, number: int, rng: random.Random, cassette: str | None = None) -> bool:
    if fault.cassette is not None and fault.cassette != cassette:
        return False
    if fault.always:
        return True
    if fault.probability is not None:
        return rng.random() < fault.probability
    return fault.at == number


def _parse_one(entry: str) -> Fault:
    name, *args = entry.split(":")
    if name not in FAULT_SYNTAX:
        raise ValueError(f"unknown fault; allowed: {', '.join(FAULT_SYNTAX)}")
    kind = FaultKind(name)
    usage = f"expected {FAULT_SYNTAX[name]}"
    if kind in (FaultKind.DOUBLE_PICK, FaultKind.PICK_FAIL):
        if len(args) == 1:
            return Fault(kind, probability=_probability(args[0], usage))
        if len(args) == 2:
            return Fault(kind, cassette=_cassette(args[0], usage), at=_count(args[1], usage, 1))
    elif kind in (FaultKind.JAM, FaultKind.MISSING) and len(args) in (1, 2):
        extra = _count(args[1], usage, 0 if kind == FaultKind.JAM else 1) if len(args) == 2 else 0
        if kind == FaultKind.JAM:
            return Fault(kind, cassette=_cassette(args[0], usage), notes=extra)
        return Fault(kind, cassette=_cassette(args[0], usage), at=extra)
    elif kind in (FaultKind.SHORT, FaultKind.EXTRA) and len(args) == 2:
        return Fault(kind, cassette=_cassette(args[0], usage), notes=_count(args[1], usage, 1))
    elif kind in (FaultKind.SHUTTER, FaultKind.NO_TAKE):
        if not args:
            return Fault(kind, always=True)
        if len(args) == 1:
            return _numbered(kind, args[0], usage)
    elif kind == FaultKind.POWER_LOSS and len(args) in (1, 2):
        if len(args) == 1 and "." in args[0]:
            return Fault(kind, probability=_probability(args[0], usage))
        notes = _count(args[1], usage, 0) if len(args) == 2 else 0
        return Fault(kind, at=_count(args[0], usage, 1), notes=notes)
    raise ValueError(usage)


def _numbered(kind: FaultKind, arg: str, usage: str) -> Fault:
    if "." in arg:
        return Fault(kind, probability=_probability(arg, usage))
    return Fault(kind, at=_count(arg, usage, 1))


def _probability(arg: str, usage: str) -> float:
    try:
        value = float(arg)
    except ValueError:
        raise ValueError(f"{arg!r} is not a probability; {usage}") from None
    if "." not in arg or not 0.0 <= value <= 1.0:
        raise ValueError(f"a probability is written 0.0 to 1.0 with a dot; {usage}")
    return value


def _count(arg: str, usage: str, minimum: int) -> int:
    if not arg.isdigit() or int(arg) < minimum:
        raise ValueError(f"{arg!r} must be a whole number >= {minimum}; {usage}")
    return int(arg)


def _cassette(arg: str, usage: str) -> str:
    if not arg or "." in arg:
        raise ValueError(f"{arg!r} is not a cassette id; {usage}")
    return arg
