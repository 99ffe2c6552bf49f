"""The quote schemas' short cuts give what marshmallow's own load and dump give.

QuoteSchema.dump builds the answer directly: it must be the body the schema's fields dump, to
the byte, for every kind of quote (exact or not, with reasons, alternatives and options,
previews, read back, expired). QuoteRequestSchema.load reads a plain body (an amount and a
wish's kind) through the fields without the schema's machinery: it must load what the whole
load loads, and refuse with the same report whatever the whole load refuses.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from marshmallow import Schema, ValidationError

from denomination import NotDispensable
from denomination.money import Amount
from denomination.preferences import Preference
from kiosk_service.api.quotes import QuoteRequestSchema, QuoteSchema
from kiosk_service.records import QuoteRequest
from kiosk_service.services import quotes

WISHES = [
    {"kind": "fewest"},
    {"kind": "small"},
    {"kind": "mixed"},
    {"kind": "options"},
    {"kind": "counts", "counts": {50000: 1, 10000: 2}},
    {"kind": "counts", "counts": {200000: 9}},
    {"kind": "bounds", "exclude": [200000]},
    {"kind": "bounds", "min": {10000: 3}, "max": {50000: 1}},
    {"kind": "small", "max_notes": 3},
]
AMOUNTS = [30000, 150000, 350000, 800000, 2000000]


def _quotes(app, clock):
    deps = app.extensions["cashmix"]
    made = []
    for wish in WISHES:
        for amount in AMOUNTS:
            for alternatives, hold in ((None, True), (True, True), (False, False)):
                request = QuoteRequest(Amount(amount, "CZK"), Preference.from_mapping(wish),
                                       alternatives, hold)
                try:
                    made.append(quotes.create_quote(
                        "demo-czk", request, uow=deps.unit_of_work(), clock=clock,
                        hold=timedelta(seconds=60), catalogue=deps.catalogue))
                except NotDispensable:
                    continue
    held = [q for q in made if q.status == "held"]
    read_back = [quotes.get_quote("demo-czk", q.id, uow=deps.unit_of_work(), clock=clock)
                 for q in held[:10]]
    expired = [q.as_seen_at(q.expires_at) for q in held[:3]]
    return made + read_back + expired


@pytest.fixture
def every_kind(app, clock):
    found = _quotes(app, clock)
    assert {q.status for q in found} >= {"held", "preview", "expired"}
    assert any(q.alternatives for q in found) and any(q.plan.reasons for q in found)
    assert any(q.plan.options or q.preference.kind == "options" for q in found)
    return found


def test_the_built_body_is_the_fields_dump(app, every_kind):
    schema = QuoteSchema()
    for quote in every_kind:
        built, by_fields = schema.dump(quote), Schema.dump(schema, quote)
        assert built == by_fields
        assert app.json.dumps(built) == app.json.dumps(by_fields)


def test_many_and_partial_dumps_are_the_fields_own(every_kind):
    assert QuoteSchema(many=True).dump(every_kind[:3]) == \
        [Schema.dump(QuoteSchema(), quote) for quote in every_kind[:3]]
    assert QuoteSchema(only=("id", "status")).dump(every_kind[0]) == \
        {"id": every_kind[0].id, "status": str(every_kind[0].status)}


CZK = {"value": 350000, "currency": "CZK"}
PLAIN = [
    {"amount": CZK},
    {"amount": CZK, "preference": {"kind": "fewest"}},
    {"amount": CZK, "preference": {"kind": "options"}, "alternatives": True, "hold": False},
    {"amount": CZK, "alternatives": None, "hold": True},
    {"amount": CZK, "alternatives": False},
    {"amount": {"value": 1, "currency": "EUR"}, "preference": {"kind": "small"}},
    {"amount": {"value": 10**13, "currency": "CZK"}},
    {"amount": CZK, "alternatives": "true", "hold": "false"},  # the Boolean fields let it by
    {"amount": CZK, "alternatives": 1},
]
#: Each of these goes to the whole load: another shape, or a value a field refuses.
OTHERS = [
    {"amount": {"value": 10**13 + 1, "currency": "CZK"}},
    {"amount": {"value": 0, "currency": "CZK"}},
    {"amount": {"value": True, "currency": "CZK"}},
    {"amount": {"value": 3500.0, "currency": "CZK"}},
    {"amount": {"value": "350000", "currency": "CZK"}},
    {"amount": {"value": 350000, "currency": "czk"}},
    {"amount": {"value": 350000, "currency": "CZK\n"}},
    {"amount": {"value": 350000, "currency": 203}},
    {"amount": {"value": 350000}},
    {"amount": {"value": 350000, "currency": "CZK", "extra": 1}},
    {"amount": [350000, "CZK"]},
    {"amount": None},
    {"amount": CZK, "preference": {"kind": "FEWEST"}},
    {"amount": CZK, "preference": {"kind": None}},
    {"amount": CZK, "preference": None},
    {"amount": CZK, "preference": {}},
    {"amount": CZK, "preference": {"kind": "counts", "counts": {"50000": 7}}},
    {"amount": CZK, "preference": {"kind": "counts"}},
    {"amount": CZK, "preference": {"kind": "bounds", "exclude": [200000], "min": {"10000": 2}}},
    {"amount": CZK, "hold": None},
    {"amount": CZK, "tip": 10},
    {"preference": {"kind": "fewest"}},
    {},
    [],
    "amount",
    None,
]


def _outcome(load, body):
    try:
        return "loaded", load(body)
    except ValidationError as error:
        return "refused", error.messages


@pytest.mark.parametrize("body", PLAIN + OTHERS)
def test_the_load_is_the_whole_load(body):
    schema = QuoteRequestSchema()
    assert _outcome(schema.load, body) == _outcome(lambda b: Schema.load(schema, b), body)


def test_only_plain_bodies_take_the_short_cut():
    schema = QuoteRequestSchema()
    assert [schema._plain(body) for body in PLAIN] == [Schema.load(schema, b) for b in PLAIN]
    assert [schema._plain(body) for body in OTHERS] == [None] * len(OTHERS)
