"""Why no mix pays an amount: prechecks, the blocking rules, and the nearest payable amounts."""

from __future__ import annotations

from functools import reduce
from math import gcd

from ortools.sat.python import cp_model

from denomination.dispensable import dispensable_amounts
from denomination.errors import NotDispensable
from denomination.optimiser.data import MixData
from denomination.optimiser.fewest import OutOfWork, least_notes
from denomination.optimiser.model import LeanCpModel
from denomination.optimiser.solve import new_solver
from denomination.plan import Reason

#: Payability probes nearest_amounts may make on each side of the amount before it tabulates
#: every payable amount instead (dispensable.dispensable_amounts, memoised but milliseconds to
#: build for a new stock); the payable amounts of a stock that is not nearly empty are a step
#: or two apart.
NEAREST_PROBES = 24

#: Work (fewest.least_notes) each feasibility check of the blocking rules may take before
#: CP-SAT names them instead.
CHECK_WORK = 2000


def not_dispensable(data: MixData) -> NotDispensable:
    """Return the NotDispensable error for `data`: the blocking rules and the nearest amounts."""
    reasons = blocking_reasons(data)
    return NotDispensable(f"{data.currency.format(data.amount)} cannot be paid now: "
                          + "; ".join(r.message for r in reasons), reasons=reasons,
                          nearest=nearest_amounts(data))


def nearest_amounts(data: MixData) -> tuple[int | None, int | None]:
    """Return the payable amounts nearest below and above `data.amount` (None where none):
    what dispensable_amounts(...).nearest says, found by probing the amounts next to it."""
    limit = data.max_notes
    stock: dict[int, int] = {}
    for cassette in data.usable:
        stock[cassette.denomination] = stock.get(cassette.denomination, 0) + cassette.count
    if not stock:
        return None, None
    step = gcd(*stock)
    for denomination, notes in stock.items():
        stock[denomination] = min(notes, limit)
    largest, notes_left = 0, limit   # the most any mix pays: the largest notes the limit allows
    for denomination in sorted(stock, reverse=True):
        take = min(stock[denomination], notes_left)
        largest += take * denomination
        notes_left -= take
    smallest = min(stock)
    try:
        below = _first_payable(min(largest, (data.amount - 1) // step * step), smallest, -step,
                               stock, limit)
        above = _first_payable((data.amount // step + 1) * step, largest, step, stock, limit)
    except OutOfWork:
        return dispensable_amounts(data.currency.code, data.usable, limit).nearest(data.amount)
    return below, above


def _first_payable(start: int, end: int, step: int, stock: dict[int, int],
                   limit: int) -> int | None:
    """Return the first amount from `start` to `end` (inclusive, by `step`) that the stock
    pays within `limit` notes, or None; raises OutOfWork after NEAREST_PROBES probes."""
    for probe, amount in enumerate(range(start, end + step // abs(step), step)):
        if probe == NEAREST_PROBES:
            raise OutOfWork
        if least_notes(amount, stock, limit, first=True) is not None:
            return amount
    return None


def blocking_reasons(data: MixData) -> tuple[Reason, ...]:
    """Return the rules that together make `data.amount` unpayable."""
    fmt = data.currency.format
    smallest = reduce(gcd, data.currency.notes)
    if data.amount % smallest:
        return (Reason("amount_not_multiple",
                       f"{fmt(data.amount)} is not a multiple of {fmt(smallest)}"),)
    if not data.usable:
        return (Reason("no_notes", f"no {data.currency.code} notes can be dispensed now"),)
    held = sum(c.denomination * c.count for c in data.usable)
    if held < data.amount:
        return (Reason("insufficient_funds", f"the terminal holds only {fmt(held)} in notes "
                       "it can dispense"),)
    rules = _rules(data)
    try:
        core = _only_core(data, rules)
    except OutOfWork:
        core = None
    if core is None:
        core = _core(data, rules)
    return tuple(_reason(rule, data) for rule in core)


#: A rule that can block a mix: ("stock", cassette) its stock, ("unusable", cassette) a cassette
#: that cannot dispense, ("not_loaded", denomination) a note of the currency in no cassette,
#: ("note_limit", None) the note limit.
Rule = tuple[str, object]


def _rules(data: MixData) -> list[Rule]:
    """Every rule that could block the amount, in the order the reasons are given."""
    rules: list[Rule] = [("stock" if c.dispensable else "unusable", c)
                         for c in data.all_of_currency]
    loaded = {c.denomination for c in data.all_of_currency}
    rules.extend(("not_loaded", d) for d in sorted(set(data.currency.notes) - loaded))
    rules.append(("note_limit", None))
    return rules


def _only_core(data: MixData, rules: list[Rule]) -> list[Rule] | None:
    """Return the rules that block the amount when only one set of rules does (then every
    minimal core, CP-SAT's included, is that set), or None when several sets do (_core says
    which one CP-SAT names).

    A rule is in every blocking set when relaxing it alone lets a mix pay; if those rules
    together already block the amount, no other set is minimal. Relaxing a rule frees its
    notes up to what the amount could use, or lifts the note limit, so a rule whose relaxation
    frees nothing is needed by no set. All the rules together must block the amount (no mix
    pays it). Raises OutOfWork when a check runs out of its work.
    """
    amount = data.amount
    enforced = [True] * len(rules)
    needed = [False] * len(rules)
    all_needed = True   # every rule whose relaxation frees notes is needed
    for index, (kind, subject) in enumerate(rules):
        if kind == "note_limit":
            idle = data.max_notes >= amount // min(data.currency.notes)
        elif kind == "not_loaded":
            idle = subject > amount
        else:
            fits = amount // subject.denomination
            idle = not fits or kind == "stock" and subject.count >= fits
        if not idle:
            enforced[index] = False
            needed[index] = _payable(data, rules, enforced)
            enforced[index] = True
            all_needed = all_needed and needed[index]
    # With every such rule needed, the needed rules block the amount as all of them do.
    if not all_needed and _payable(data, rules, needed):
        return None
    return [rule for rule, kept in zip(rules, needed, strict=True) if kept]


def _payable(data: MixData, rules: list[Rule], enforced: list[bool]) -> bool:
    """Return True when some mix pays the amount with only the enforced rules in force."""
    amount = data.amount
    stock: dict[int, int] = {}
    limit = None
    for (kind, subject), kept in zip(rules, enforced, strict=True):
        if kind == "note_limit":
            limit = data.max_notes if kept else None
            continue
        denomination = subject if kind == "not_loaded" else subject.denomination
        notes = amount // denomination   # relaxed: as many as the amount could use
        if kept:
            notes = subject.count if kind == "stock" else 0
        stock[denomination] = stock.get(denomination, 0) + notes
    return least_notes(amount, stock, limit, first=True, work=CHECK_WORK) is not None


def _core(data: MixData, rules: list[Rule]) -> list[Rule]:
    """Relax every rule behind an assumption literal; the infeasible core names the blockers.

    Notes of the currency that are not loaded become virtual cassettes that must stay at zero,
    so "no 1000 notes loaded" can be a reason too. The core is shrunk by deletion so that every
    reason given is needed. (_only_core answers the same without CP-SAT when it can.)
    """
    model = LeanCpModel()
    literals, terms, notes = [], [], []
    for kind, subject in rules[:-1]:   # the note limit comes last
        if kind == "not_loaded":
            n = model.new_int_var(0, data.amount // subject, f"virtual[{subject}]")
            name, denomination = f"not_loaded:{subject}", subject
        else:
            # n: notes from this cassette, free up to what the amount could use.
            n = model.new_int_var(0, data.amount // subject.denomination, f"notes[{subject.id}]")
            name, denomination = f"{kind}:{subject.id}", subject.denomination
        terms.append(denomination * n)
        notes.append(n)
        literals.append(model.new_bool_var(f"rule:{name}"))
        if kind == "stock":
            # The cassette gives no more notes than it holds.
            model.add(n <= subject.count).only_enforce_if(literals[-1])
        else:
            # An inoperative, missing, locked or empty cassette gives nothing, and a note that
            # is not loaded cannot be given.
            model.add(n == 0).only_enforce_if(literals[-1])
    # The notes pay the amount exactly.
    model.add(sum(terms) == data.amount)
    # The dispenser presents at most max_notes notes at once.
    literals.append(model.new_bool_var("rule:note_limit"))
    model.add(sum(notes) <= data.max_notes).only_enforce_if(literals[-1])
    core = {literal.index for literal in _infeasible_core(model, literals)}
    return [rule for rule, literal in zip(rules, literals, strict=True) if literal.index in core]


def _infeasible_core(model: cp_model.CpModel, literals: list) -> list:
    solver = new_solver()
    model.add_assumptions(literals)
    if solver.solve(model) != cp_model.INFEASIBLE:
        return []
    found = set(solver.sufficient_assumptions_for_infeasibility())
    core = [lit for lit in literals if lit.index in found]
    for literal in list(core):
        trial = [lit for lit in core if lit is not literal]
        model.clear_assumptions()
        model.add_assumptions(trial)
        if solver.solve(model) == cp_model.INFEASIBLE:
            core = trial
    return core


def _reason(rule: Rule, data: MixData) -> Reason:
    """Say what a blocking rule is."""
    kind, subject = rule
    fmt = data.currency.format
    if kind == "stock":
        return Reason("insufficient_notes", f"cassette {subject.id} holds only {subject.count} "
                      f"x {fmt(subject.denomination)}", subject.denomination, subject.id)
    if kind == "unusable":
        return _unusable(subject, fmt)
    if kind == "not_loaded":
        return Reason("denomination_not_loaded", f"no {fmt(subject)} notes are loaded", subject)
    return Reason("too_many_notes", f"paying {fmt(data.amount)} needs more than "
                  f"{data.max_notes} notes, the most the dispenser gives at once")


def _unusable(cassette, fmt) -> Reason:
    if cassette.locked:
        state = "locked"
    elif cassette.count <= 0:
        state = "empty"
    else:
        state = str(cassette.status)
    return Reason(f"cassette_{state}", f"cassette {cassette.id} ({fmt(cassette.denomination)}) "
                  f"is {state}", cassette.denomination, cassette.id)
