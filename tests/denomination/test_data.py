"""check_request: its one-pass check of a plain request lets through exactly what the full
check lets through, and bad input gets the full check's every problem."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from denomination import Cassette, CassetteStatus, InvalidRequest, Preference, default_catalogue
from denomination.optimiser.data import _check, check_request

odd_numbers = st.sampled_from([0, 1, 5, 40, -1, True, 2.0, "3", None])


@st.composite
def odd_cassettes(draw):
    """Cassettes that are mostly valid, with now and then a bad count, capacity, currency,
    note or a repeated id, and now and then something that is not a Cassette."""
    cassettes = []
    for _ in range(draw(st.integers(0, 4))):
        if draw(st.integers(0, 19)) == 0:
            cassettes.append("not a cassette")
            continue
        cassettes.append(Cassette(
            draw(st.sampled_from("ABC")), draw(st.sampled_from(["CZK"] * 5 + ["EUR", "XXX"])),
            draw(st.sampled_from([10000, 20000, 50000] * 3 + [12345, 500, 20000.0, True])),
            draw(st.one_of(st.integers(0, 60), odd_numbers)),
            status=draw(st.sampled_from(list(CassetteStatus))),
            capacity=draw(st.one_of(st.none(), st.integers(0, 60), odd_numbers)),
            locked=draw(st.booleans())))
    return cassettes


wishes = st.sampled_from([Preference(), Preference(exclude=(50000,)),
                          Preference(counts=((12345, 1),)), Preference(minimum=((500, 2),))])


@settings(max_examples=500, deadline=None)
@given(amount=st.one_of(st.integers(1, 10**6), odd_numbers), cassettes=odd_cassettes(),
       currency=st.sampled_from(["CZK", "CZK", "EUR", "XXX", None]), wish=wishes,
       max_notes=st.one_of(st.integers(1, 60), odd_numbers))
def test_check_request_refuses_exactly_what_the_full_check_refuses(amount, currency, cassettes,
                                                                    wish, max_notes):
    catalogue = default_catalogue()
    try:
        _check(amount, currency, tuple(cassettes), wish, max_notes, catalogue)
        expected = None
    except InvalidRequest as error:
        expected = (error.code, error.errors)
    try:
        data = check_request(amount, currency, cassettes, wish, max_notes, catalogue)
        got = None
    except InvalidRequest as error:
        got = (error.code, error.errors)
    assert got == expected
    if got is None:
        assert data.currency.code == currency
        assert [c.id for c in data.all_of_currency] == sorted(
            c.id for c in cassettes if c.currency == currency)
        assert data.usable == tuple(c for c in data.all_of_currency if c.dispensable)


def test_a_denomination_that_is_not_an_integer_is_refused_by_name():
    with pytest.raises(InvalidRequest) as caught:
        check_request(300000, "CZK", [Cassette("A", "CZK", 100000.0, 5)], Preference(), 40,
                      default_catalogue())
    assert caught.value.details["errors"] == {
        "cassettes[0]": ["denomination must be an integer in minor units"]}
