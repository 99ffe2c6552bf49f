"""Schemas shared by several blueprints: money, preferences, plans, cassettes, pages."""

from __future__ import annotations

from typing import Any

from marshmallow import Schema, ValidationError, fields, post_load, validate

from denomination.errors import InvalidRequest
from denomination.money import Amount
from denomination.preferences import PREFERENCE_KINDS, Preference
from kiosk_service.validators import WholeMatch

DENOMINATION_KEY = fields.String(validate=WholeMatch(r"^[1-9][0-9]{0,12}$",
                                                          error="must be a denomination in "
                                                                "minor units, e.g. \"50000\""))
NOTE_COUNT = fields.Integer(strict=True, validate=validate.Range(min=0, max=10_000))


#: The highest page a listing accepts: page * page_size stays far inside a 64-bit offset.
MAX_PAGE = 1_000_000
#: A listing's query fields. Bounded: an offset past a 64-bit integer is a database error, not
#: an empty page.
PAGE = fields.Integer(load_default=1, validate=validate.Range(min=1, max=MAX_PAGE))
PAGE_SIZE = fields.Integer(load_default=50, validate=validate.Range(min=1, max=500))



def page_schema(name: str, item: type[Schema]) -> type[Schema]:
    """Return the schema class `name` of a page of `item`s (`items`, `page`, `page_size`,
    `total`); the name, less "Schema", names its OpenAPI component."""
    return Schema.from_dict({"items": fields.List(fields.Nested(item)), "page": fields.Integer(),
                             "page_size": fields.Integer(), "total": fields.Integer()},
                            name=name)


class AmountSchema(Schema):
    """Money on the wire: `{"value": 200000, "currency": "CZK"}` (2000.00 CZK), minor units."""

    value = fields.Integer(strict=True, required=True,
                           validate=validate.Range(min=1, max=10**13))
    currency = fields.String(required=True, validate=WholeMatch(r"^[A-Z]{3}$"))

    @post_load
    def to_amount(self, data: dict[str, Any], **kwargs: Any) -> Amount:
        return Amount(data["value"], data["currency"])


class AmountOutSchema(Schema):
    """Money in a response."""

    value = fields.Integer()
    currency = fields.String()


class PreferenceSchema(Schema):
    """The customer's wish; see DESIGN.md 'Preferences' for every kind."""

    kind = fields.String(required=True, validate=validate.OneOf(PREFERENCE_KINDS))
    counts = fields.Dict(keys=DENOMINATION_KEY, values=NOTE_COUNT)
    minimum = fields.Dict(keys=DENOMINATION_KEY, values=NOTE_COUNT, data_key="min")
    maximum = fields.Dict(keys=DENOMINATION_KEY, values=NOTE_COUNT, data_key="max")
    exclude = fields.List(fields.Integer(strict=True, validate=validate.Range(min=1)))
    max_notes = fields.Integer(strict=True, validate=validate.Range(min=1, max=200))

    @post_load
    def to_preference(self, data: dict[str, Any], **kwargs: Any) -> Preference:
        renamed = {{"minimum": "min", "maximum": "max"}.get(k, k): v for k, v in data.items()}
        try:
            return Preference.from_mapping(renamed)
        except InvalidRequest as error:
            raise ValidationError({k.removeprefix("preference."): v
                                   for k, v in error.errors.items()}) from None


class ReasonSchema(Schema):
    """Why a wish was not met exactly."""

    code = fields.String()
    message = fields.String()
    denomination = fields.Integer(allow_none=True)
    cassette = fields.String(allow_none=True)


class PlanSchema(Schema):
    """A mix of notes: by denomination (largest first) and by cassette."""

    kind = fields.String()
    label = fields.String(allow_none=True)
    exact = fields.Boolean()
    status = fields.String(metadata={
        "enum": ["optimal", "feasible"],
        "description": "`optimal`: the mix is proven best for the wish; `feasible`: the "
                       "optimiser's time ran out before its proof (the mix pays the amount "
                       "within every hard rule, and `exact` is checked on the mix itself)."})
    notes = fields.Integer()
    by_denomination = fields.Method("denominations", metadata={
        "type": "array", "items": {"type": "object"}})
    by_cassette = fields.Dict(keys=fields.String(), values=fields.Integer())
    reasons = fields.List(fields.Nested(ReasonSchema))
    preference = fields.Method("preference_body", metadata={
        "type": "object", "nullable": True, "example": {"kind": "bounds", "exclude": [200000]},
        "description": "The wish this mix answers, in the request's `preference` format: for "
                       "an option of a menu, the wish that produced it (`no_200000` is "
                       "`{\"kind\": \"bounds\", \"exclude\": [200000]}`, `smallest` is "
                       "`{\"kind\": \"small\", \"max_notes\": <note limit>}`). A kiosk "
                       "that showed options as previews (`hold: false`) asks for the picked "
                       "one's preference to hold it."})

    def denominations(self, plan: Any) -> list[dict[str, int]]:
        return [{"denomination": d, "count": n} for d, n in plan.by_denomination.items()]

    def preference_body(self, plan: Any) -> dict[str, Any] | None:
        return None if plan.preference is None else plan.preference.to_mapping()


def plan_body(plan: Any) -> dict[str, Any]:
    """Return PlanSchema's dump of `plan`, field by field as the schema's fields do it: every
    quote answer carries plans, and building this directly costs a fraction of a dump."""
    return {"kind": text_of(plan.kind), "label": text_of(plan.label), "exact": plan.exact,
            "status": text_of(plan.status), "notes": int(plan.notes),
            "by_denomination": [{"denomination": d, "count": n}
                                for d, n in plan.by_denomination.items()],
            "by_cassette": {str(c): int(n) for c, n in plan.by_cassette.items()},
            "reasons": [{"code": text_of(r.code), "message": text_of(r.message),
                         "denomination": None if r.denomination is None else int(r.denomination),
                         "cassette": text_of(r.cassette)} for r in plan.reasons],
            "preference": None if plan.preference is None else plan.preference.to_mapping()}


def text_of(value: Any) -> str | None:
    """Return a String field's dump of `value`."""
    return None if value is None else str(value)


class CassetteSchema(Schema):
    """A cassette: notes in it, notes held by quotes, and its condition."""

    id = fields.String()
    currency = fields.String()
    denomination = fields.Integer(metadata={"description": "Minor units per note."})
    count = fields.Integer()
    held = fields.Integer()
    available = fields.Integer()
    capacity = fields.Integer(allow_none=True)
    low_threshold = fields.Integer()
    status = fields.String()
    fill = fields.String()
    locked = fields.Boolean()


def cassette_body(cassette, held: int) -> dict:
    """Return the response form of a cassette and the notes held in it."""
    return {"id": cassette.id, "currency": cassette.currency,
            "denomination": cassette.denomination, "count": cassette.count, "held": held,
            "available": max(0, cassette.count - held), "capacity": cassette.capacity,
            "low_threshold": cassette.low_threshold, "status": str(cassette.status),
            "fill": str(cassette.fill), "locked": cassette.locked}
