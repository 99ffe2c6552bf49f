"""Why an amount cannot be paid: the rules found without CP-SAT against CP-SAT's core, and the
nearest payable amounts against the dispensable table."""

from __future__ import annotations

from dataclasses import replace

from hypothesis import HealthCheck, assume, event, given, settings
from hypothesis import strategies as st
from mix_reference import DEMO, small_inventories, terminals

from denomination import Cassette, CassetteStatus, Preference, default_catalogue
from denomination.dispensable import dispensable_amounts
from denomination.optimiser.data import MixData, check_request
from denomination.optimiser.explain import (
    _core,
    _only_core,
    _rules,
    blocking_reasons,
    nearest_amounts,
)
from denomination.optimiser.fewest import NO_MIX, OutOfWork, search_fewest


def request(amount, cassettes, max_notes) -> MixData:
    return check_request(amount, "CZK", cassettes, Preference(), max_notes,
                         default_catalogue())


def blocks(data: MixData, enforced: list) -> bool:
    """Return True when no mix pays the amount with only the `enforced` rules in force, by the
    dispensable table (a separate bounded knapsack): a relaxed rule's notes become a working
    cassette of as many notes as the amount could use, a relaxed note limit the most notes any
    mix of the amount could have."""
    amount, cassettes = data.amount, []
    kept = list(enforced)
    for rule in _rules(data):
        kind, subject = rule
        relaxed = not any(rule[0] == other[0] and rule[1] is other[1] for other in kept)
        if kind == "not_loaded" and relaxed:
            cassettes.append(Cassette(f"v{subject}", "CZK", subject, amount // subject))
        elif kind in ("stock", "unusable") and relaxed:
            cassettes.append(replace(subject, count=amount // subject.denomination,
                                     status=CassetteStatus.OK, locked=False))
        elif kind == "stock":
            cassettes.append(subject)
    limit_kept = any(kind == "note_limit" for kind, _ in kept)
    limit = data.max_notes if limit_kept else amount // min(data.currency.notes)
    return not dispensable_amounts("CZK", cassettes, limit).is_payable(amount)


def unpayable(data: MixData) -> bool:
    return (data.amount % data.step == 0 and bool(data.usable)
            and sum(c.denomination * c.count for c in data.usable) >= data.amount
            and search_fewest(data) == NO_MIX)


#: Most drawn requests can be paid; the properties below keep the ones that cannot.
UNPAYABLE = settings(deadline=None, suppress_health_check=[HealthCheck.filter_too_much])


@settings(UNPAYABLE, max_examples=300)
@given(inventory=small_inventories(), max_notes=st.sampled_from([2, 3, 6]), draw=st.data())
def test_the_rules_found_without_cp_sat_are_cp_sats_core(inventory, max_notes, draw):
    held = sum(c.denomination * c.count for c in inventory if c.dispensable) // 10000
    assume(held)
    amount = draw.draw(st.integers(1, held)) * 10000   # held, so only the mix can be missing
    data = request(amount, inventory, max_notes)
    assume(unpayable(data))
    rules = _rules(data)
    try:
        only = _only_core(data, rules)
    except OutOfWork:
        only = None
    cp_sat = _core(data, rules)
    assert blocks(data, cp_sat)
    event("several sets block it" if only is None else "one set blocks it")
    if only is None:   # CP-SAT names one of them (blocking_reasons)
        return
    assert only == cp_sat
    for rule in only:   # each rule is needed
        assert not blocks(data, [other for other in only if other is not rule])
    assert [(r.denomination, r.cassette) for r in blocking_reasons(data)] == [
        (_subject_note(rule), getattr(rule[1], "id", None)) for rule in only]


@settings(UNPAYABLE, max_examples=200)
@given(cassettes=terminals(), max_notes=st.sampled_from([5, 12, 40]), draw=st.data())
def test_on_larger_terminals_the_rules_found_are_each_needed(cassettes, max_notes, draw):
    held = min(300, sum(c.denomination * c.count for c in cassettes if c.dispensable) // 10000)
    assume(held)
    amount = draw.draw(st.integers(1, held)) * 10000
    data = request(amount, cassettes, max_notes)
    assume(unpayable(data))
    try:
        only = _only_core(data, _rules(data))
    except OutOfWork:
        only = None
    assume(only is not None)
    assert only and blocks(data, only)
    for rule in only:
        assert not blocks(data, [other for other in only if other is not rule])


@settings(max_examples=300, deadline=None)
@given(cassettes=st.one_of(terminals(), small_inventories()),
       amount=st.integers(1, 600).map(lambda k: k * 5000),
       max_notes=st.sampled_from([1, 3, 6, 40]))
def test_nearest_amounts_are_the_dispensable_tables(cassettes, amount, max_notes):
    data = request(amount, cassettes, max_notes)
    table = dispensable_amounts("CZK", data.usable, max_notes)
    assert nearest_amounts(data) == table.nearest(amount)


def _subject_note(rule) -> int | None:
    kind, subject = rule
    return None if kind == "note_limit" else subject if kind == "not_loaded" else \
        subject.denomination


def test_a_broken_100_cassette_is_the_reason_300_cannot_be_paid():
    cassettes = [replace(c, status=CassetteStatus.INOPERATIVE) if c.denomination == 10000
                 else c for c in DEMO]
    data = request(30000, cassettes, 40)
    assert [(r.code, r.cassette) for r in blocking_reasons(data)] == [
        ("cassette_inoperative", "A")]
    assert nearest_amounts(data) == (20000, 40000)
