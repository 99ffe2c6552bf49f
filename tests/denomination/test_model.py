"""The CP-SAT model: several wishes in one model, and structures reused across requests."""

from __future__ import annotations

from dataclasses import replace

from hypothesis import assume, given, settings
from hypothesis import strategies as st
from mix_reference import NOTES, amounts, small_inventories

from denomination import Cassette, Preference, PreferenceKind, default_catalogue
from denomination.optimiser.data import check_request
from denomination.optimiser.model import build_model, clear_templates
from denomination.optimiser.solve import new_solver, solve_mixes

wishes = st.sampled_from([
    Preference(PreferenceKind.FEWEST), Preference(PreferenceKind.MIXED),
    Preference(PreferenceKind.SMALL), Preference(PreferenceKind.SMALL, note_budget=3),
    Preference(PreferenceKind.BOUNDS, exclude=(50000,)),
    Preference(PreferenceKind.BOUNDS, minimum=((10000, 2),)),
    Preference(PreferenceKind.COUNTS, counts=((20000, 1), (10000, 2))),
])


def optimum(data_list):
    """Return (objective value, mixes) of one model holding every data's wish, or None."""
    mix = build_model(*data_list)
    solver = new_solver()
    found = solve_mixes(mix.model, mix.mixes, solver)
    return None if found is None else (round(solver.objective_value), found)


@settings(max_examples=150, deadline=None)
@given(inventory=small_inventories(), amount=amounts, group=st.lists(wishes, min_size=2,
                                                                    max_size=3),
       max_notes=st.sampled_from([6, 20]))
def test_a_group_of_wishes_solves_each_to_its_own_optimum(inventory, amount, group, max_notes):
    base = check_request(amount, "CZK", inventory, group[0], max_notes, default_catalogue())
    assume(base.usable and amount % base.step == 0)
    data_list = [replace(base, preference=wish) for wish in group]
    alone = [optimum([data]) for data in data_list]
    together = optimum(data_list)
    assert (together is None) == (None in alone)
    if together is not None:
        # The mixes share no variable, so the sum's optimum is the sum of the optima.
        assert together[0] == sum(value for value, _ in alone)


@settings(max_examples=60, deadline=None)
@given(counts=st.lists(st.integers(1, 8), min_size=4, max_size=4),
       again=st.lists(st.integers(1, 8), min_size=4, max_size=4),
       amount=amounts, wish=wishes)
def test_a_reused_structure_gives_what_a_fresh_build_gives(counts, again, amount, wish):
    def inventory(levels):
        return [Cassette(cid, "CZK", note, level, capacity=8)
                for cid, note, level in zip("ABCD", NOTES, levels, strict=True)]

    def data(levels):
        return check_request(amount, "CZK", inventory(levels), wish, 6, default_catalogue())

    optimum([data(counts)])          # leaves the structure of this shape behind
    reused = optimum([data(again)])  # same shape, other stock and health: reuses it
    clear_templates()
    assert optimum([data(again)]) == reused
