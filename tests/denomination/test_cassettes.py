"""Cassette values: with_count is dataclasses.replace of the count, field for field."""

from __future__ import annotations

from dataclasses import replace

from hypothesis import given
from hypothesis import strategies as st

from denomination import Cassette, CassetteStatus

cassettes = st.builds(Cassette, st.text(min_size=1, max_size=3), st.sampled_from(["CZK", "EUR"]),
                      st.integers(1, 10**6), st.integers(0, 5000),
                      status=st.sampled_from(list(CassetteStatus)),
                      capacity=st.one_of(st.none(), st.integers(1, 5000)),
                      low_threshold=st.integers(0, 100), locked=st.booleans())


@given(cassettes, st.integers(0, 5000))
def test_with_count_is_replace_of_the_count(cassette, count):
    assert cassette.with_count(count) == replace(cassette, count=count)
