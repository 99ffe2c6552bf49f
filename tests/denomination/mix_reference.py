"""Shared inventories and a brute-force reference for the optimiser tests."""

from __future__ import annotations

import itertools
from collections.abc import Sequence

from hypothesis import strategies as st

from denomination import Cassette, CassetteStatus


def czk(id_: str, face: int, count: int, **extra) -> Cassette:
    """A CZK cassette of `count` notes of face value `face` (koruny)."""
    return Cassette(id_, "CZK", face * 100, count, **extra)


DEMO = (czk("A", 100, 120), czk("B", 200, 120), czk("C", 500, 100), czk("D", 1000, 100),
        czk("E", 2000, 80), czk("F", 5000, 40))


def all_mixes(amount: int, cassettes: Sequence[Cassette], max_notes: int):
    """Yield every valid mix (cassette id -> notes) of dispensable cassettes: the reference."""
    usable = [c for c in cassettes if c.dispensable]
    ranges = [range(min(c.count, max_notes) + 1) for c in usable]
    for counts in itertools.product(*ranges):
        if sum(counts) <= max_notes and sum(
                c.denomination * n for c, n in zip(usable, counts, strict=True)) == amount:
            yield {c.id: n for c, n in zip(usable, counts, strict=True)}


def by_denomination(mix: dict[str, int], cassettes: Sequence[Cassette]) -> dict[int, int]:
    """Collapse cassette id -> notes to denomination -> notes, without zero entries."""
    units = {c.id: c.denomination for c in cassettes}
    result: dict[int, int] = {}
    for cid, n in mix.items():
        if n:
            result[units[cid]] = result.get(units[cid], 0) + n
    return result


def is_valid(plan, amount: int, cassettes: Sequence[Cassette], max_notes: int) -> bool:
    """The hard rules: exact amount, within stock, dispensable units only, within the limit."""
    units = {c.id: c for c in cassettes}
    return (sum(units[cid].denomination * n for cid, n in plan.by_cassette.items()) == amount
            and all(units[cid].dispensable and n <= units[cid].count
                    for cid, n in plan.by_cassette.items())
            and plan.notes <= max_notes
            and by_denomination(dict(plan.by_cassette), cassettes) == dict(plan.by_denomination))


#: Notes of the small inventories the properties draw: 100, 200, 500 and 1000 CZK.
NOTES = (10000, 20000, 50000, 100000)

amounts = st.integers(1, 30).map(lambda k: k * 10000)


@st.composite
def small_inventories(draw):
    """Up to 4 CZK cassettes (denominations may repeat), 0-5 notes each, some not ok."""
    size = draw(st.integers(1, 4))
    cassettes = []
    for index in range(size):
        cassettes.append(Cassette(
            id="ABCD"[index], currency="CZK", denomination=draw(st.sampled_from(NOTES)),
            count=draw(st.integers(0, 5)),
            status=draw(st.sampled_from([CassetteStatus.OK] * 4 + [CassetteStatus.INOPERATIVE]))))
    return cassettes


#: Every CZK note, in minor units.
CZK_NOTES = (10000, 20000, 50000, 100000, 200000, 500000)


@st.composite
def terminals(draw):
    """Up to 7 CZK cassettes of any notes (repeats allowed), some not ok, with capacities and
    low thresholds, so that health costs differ; counts up to past the note limit."""
    cassettes = []
    for index in range(draw(st.integers(1, 7))):
        capacity = draw(st.sampled_from([None, 60, 200, 2000]))
        count = draw(st.integers(0, 80 if capacity is None else min(capacity, 80)))
        cassettes.append(Cassette(
            "ABCDEFG"[index], "CZK", draw(st.sampled_from(CZK_NOTES)), count,
            status=draw(st.sampled_from([CassetteStatus.OK] * 6 + [CassetteStatus.INOPERATIVE])),
            capacity=capacity, low_threshold=draw(st.sampled_from([0, 5, 30]))))
    return cassettes
