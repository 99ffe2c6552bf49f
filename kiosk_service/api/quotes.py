"""Quotes: the customer's mix, held until it expires."""

from __future__ import annotations

from typing import Any

from flask.views import MethodView
from marshmallow import Schema, ValidationError, fields, post_load

from kiosk_service.api import ErrorSchema
from kiosk_service.api.blueprint import Blueprint
from kiosk_service.api.schemas import (
    AmountOutSchema,
    AmountSchema,
    PlanSchema,
    PreferenceSchema,
    plan_body,
    text_of,
)
from kiosk_service.api.security import requires
from kiosk_service.records import Quote, QuoteRequest, Role
from kiosk_service.services import quotes
from kiosk_service.web_deps import current_deps

blp = Blueprint("quotes", __name__, url_prefix="/api/v1/terminals",
                description="Quotes: plan a mix and hold its notes.")


class QuoteRequestSchema(Schema):
    """An amount and the customer's wish (default: the terminal's default kind)."""

    amount = fields.Nested(AmountSchema, required=True)
    preference = fields.Nested(PreferenceSchema)
    alternatives = fields.Boolean(load_default=None, allow_none=True, metadata={
        "description": "Add a menu of other good mixes (not held): true always, false never, "
                       "absent or null only when the wish cannot be met exactly."})
    hold = fields.Boolean(load_default=True, metadata={
        "description": "false: a preview that holds no notes and cannot be dispensed "
                       "(status `preview`), for live feedback while a customer builds a mix. "
                       "Its id starts `preview-`; reading it back or dispensing it is 409 "
                       "`quote_is_preview`."})

    @post_load
    def to_request(self, data: dict[str, Any], **kwargs: Any) -> QuoteRequest:
        return QuoteRequest(data["amount"], data.get("preference"), data["alternatives"],
                            data["hold"])

    def load(self, data: Any, *, many: bool | None = None, partial: Any = None,
             unknown: str | None = None) -> Any:
        # Most bodies are an amount and a wish's kind alone: those go through the same fields
        # and post_load hooks without the schema's machinery. Anything else, and any problem,
        # goes through the whole load, which reports every problem (test_quote_schemas.py).
        if many is None and partial is None and unknown is None:
            request = self._plain(data)
            if request is not None:
                return request
        return super().load(data, many=many, partial=partial, unknown=unknown)

    def _plain(self, data: Any) -> QuoteRequest | None:
        """Return the request `data` is when it names only known fields and its preference
        (if any) only a kind, and every field accepts its value; else None."""
        if type(data) is not dict or not data.keys() <= self.fields.keys():
            return None
        amount, wish = data.get("amount"), data.get("preference", {"kind": None})
        amounts, wishes = self.fields["amount"].schema, self.fields["preference"].schema
        if (type(amount) is not dict or amount.keys() != amounts.fields.keys()
                or type(wish) is not dict or wish.keys() != {"kind"}):
            return None
        flags = [field for name, field in self.fields.items()
                 if name not in ("amount", "preference")]
        try:
            loaded = {field.name: field.deserialize(data[field.name]) if field.name in data
                      else field.load_default for field in flags}
            loaded["amount"] = amounts.to_amount(
                {name: amounts.fields[name].deserialize(value) for name, value in amount.items()})
            if "preference" in data:
                loaded["preference"] = wishes.to_preference(
                    {"kind": wishes.fields["kind"].deserialize(wish["kind"])})
        except ValidationError:
            return None
        return self.to_request(loaded)


class QuoteSchema(Schema):
    """A quote: the held mix, whether the wish was met, why not, and alternatives."""

    id = fields.String()
    terminal_id = fields.String()
    amount = fields.Nested(AmountOutSchema)
    preference = fields.Method("preference_body", metadata={"type": "object"})
    plan = fields.Nested(PlanSchema)
    exact = fields.Function(lambda q: q.plan.exact, metadata={"type": "boolean"})
    alternatives = fields.List(fields.Nested(PlanSchema))
    status = fields.String()
    created_at = fields.DateTime()
    expires_at = fields.DateTime()

    def preference_body(self, quote: Quote) -> dict:
        return quote.preference.to_mapping()

    def dump(self, obj: Any, *, many: bool | None = None) -> Any:
        # Every quote answer is dumped here: the fields' work written out (the same body,
        # which tests/service/test_quote_schemas.py holds to the fields' own dump).
        if many or self.many or self.only is not None or self.exclude:
            return super().dump(obj, many=many)
        amount = {"value": int(obj.amount.value), "currency": text_of(obj.amount.currency)}
        return {"id": text_of(obj.id), "terminal_id": text_of(obj.terminal_id),
                "amount": amount, "preference": self.preference_body(obj),
                "plan": plan_body(obj.plan), "exact": obj.plan.exact,
                "alternatives": [plan_body(plan) for plan in obj.alternatives],
                "status": text_of(obj.status), "created_at": obj.created_at.isoformat(),
                "expires_at": obj.expires_at.isoformat()}


@blp.route("/<tid>/quotes")
class Quotes(MethodView):
    @requires(Role.KIOSK)
    @blp.arguments(QuoteRequestSchema)
    @blp.response(201, QuoteSchema)
    def post(self, quote_request: QuoteRequest, tid: str) -> Quote:
        """Plan a mix for the amount and the customer's preference, and hold its notes.

        When the amount cannot be paid the error `not_dispensable` lists the blocking reasons
        and the nearest payable amounts below and above.
        """
        deps = current_deps()
        return quotes.create_quote(tid, quote_request, uow=deps.unit_of_work(),
                                   clock=deps.clock, hold=deps.quote_hold, metrics=deps.metrics,
                                   catalogue=deps.catalogue)


@blp.route("/<tid>/quotes/<qid>")
class QuoteById(MethodView):
    @requires(Role.KIOSK, Role.STAFF, Role.ADMIN)
    @blp.alt_response(409, schema=ErrorSchema, description=(
        "`quote_is_preview`: the id is a preview's (`hold: false`), which is stored nowhere."))
    @blp.response(200, QuoteSchema)
    def get(self, tid: str, qid: str) -> Quote:
        """Return a quote (`status` is `expired` once its hold ran out)."""
        deps = current_deps()
        return quotes.get_quote(tid, qid, uow=deps.unit_of_work(), clock=deps.clock)
