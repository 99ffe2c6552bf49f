"""Quotes: the customer's mix, held until it expires."""

from __future__ import annotations

from typing import Any

from flask.views import MethodView
from marshmallow import Schema, fields, post_load

from kiosk_service.api import ErrorSchema
from kiosk_service.api.blueprint import Blueprint
from kiosk_service.api.schemas import AmountOutSchema, AmountSchema, PlanSchema, PreferenceSchema
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
