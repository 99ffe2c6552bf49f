"""Dispenses: pay a quote on the dispenser, idempotently, with the host's authorization."""

from __future__ import annotations

from typing import Any

from flask import request
from flask.views import MethodView
from marshmallow import Schema, fields, post_load, validate

from kiosk_service.api import ErrorSchema
from kiosk_service.api.blueprint import Blueprint
from kiosk_service.api.schemas import AmountOutSchema
from kiosk_service.api.security import requires
from kiosk_service.records import Dispense, DispenseRequest, HostAuthorization, Role
from kiosk_service.services import dispenses
from kiosk_service.web_deps import current_actor, current_deps

blp = Blueprint("dispenses", __name__, url_prefix="/api/v1/terminals",
                description="Dispenses: pay a held quote and account for every note.")


class AuthorizationSchema(Schema):
    """The bank host's permission to pay this quote once: `signature` is the lower-case hex
    HMAC-SHA256, under the terminal's host secret, of
    `{terminal_id}|{quote_id}|{value}|{currency}|{expires_at}` (the quote's amount in minor
    units, e.g. `demo-czk|q_1a2b|200000|CZK|1767225600`)."""

    expires_at = fields.Integer(strict=True, required=True, metadata={
        "description": "Unix seconds (UTC) after which the authorization is refused "
                       "(`expired`); at most AUTHORIZATION_MAX_SECONDS (default 300) after the "
                       "service's clock, else `too_far_ahead`.",
        "example": 1767225600})
    signature = fields.String(required=True, validate=validate.Length(min=1, max=128), metadata={
        "description": "hex(HMAC-SHA256(host secret, signed text)); spent by its first use."})

    @post_load
    def to_authorization(self, data: dict[str, Any], **kwargs: Any) -> HostAuthorization:
        return HostAuthorization(data["expires_at"], data["signature"])


class DispenseRequestSchema(Schema):
    quote_id = fields.String(required=True, validate=validate.Length(min=1, max=64))
    authorization = fields.Nested(AuthorizationSchema, load_default=None)
    complete_from_other_cassettes = fields.Boolean(load_default=False, metadata={
        "description": "After a jam, pay the whole amount from the other cassettes."})

    @post_load
    def to_request(self, data: dict[str, Any], **kwargs: Any) -> DispenseRequest:
        return DispenseRequest(data["quote_id"], data["authorization"],
                               data["complete_from_other_cassettes"])


class NoteOutcomeSchema(Schema):
    """Where one cassette's notes went."""

    cassette = fields.String(attribute="cassette_id")
    denomination = fields.Integer()
    planned = fields.Integer()
    picked = fields.Integer()
    stacked = fields.Integer()
    presented = fields.Integer()
    taken = fields.Integer()
    retracted = fields.Integer()
    rejected = fields.Integer()
    unknown = fields.Integer()


class DispenseSchema(Schema):
    """A dispense: its state, what the customer got, the shortfall to reverse, note by note."""

    id = fields.String()
    terminal_id = fields.String()
    quote_id = fields.String()
    amount = fields.Nested(AmountOutSchema)
    state = fields.String()
    outcome = fields.String(metadata={"description": "complete, partial or none."})
    dispensed = fields.Function(lambda d: {"value": d.dispensed_value,
                                           "currency": d.amount.currency},
                                metadata={"type": "object"})
    shortfall = fields.Function(lambda d: {"value": d.shortfall, "currency": d.amount.currency},
                                metadata={"type": "object"})
    error = fields.String(allow_none=True)
    notes = fields.List(fields.Nested(NoteOutcomeSchema))
    created_at = fields.DateTime()
    updated_at = fields.DateTime()


IDEMPOTENCY_KEY = {"in": "header", "name": "Idempotency-Key", "required": True,
                   "schema": {"type": "string", "maxLength": 200},
                   "description": "One key per payout: retries with it never pay twice."}


@blp.route("/<tid>/dispenses")
class Dispenses(MethodView):
    @requires(Role.KIOSK)
    @blp.doc(parameters=[IDEMPOTENCY_KEY])
    @blp.alt_response(403, schema=ErrorSchema, description=(
        "`authorization_refused`: the host's authorization is missing, not over this quote, "
        "expired, too far ahead or replayed (`errors.problem`: `missing`, `no_host_secret`, "
        "`invalid`, `expired`, `too_far_ahead`, `replayed`); `forbidden`: the key's role may "
        "not dispense, or the key is not for this terminal."))
    @blp.alt_response(409, schema=ErrorSchema, description=(
        "`quote_is_preview`: the quote was a preview (`hold: false`) and held nothing; "
        "`quote_used`: it was dispensed already; `idempotency_key_reused`: the key came with "
        "another body; `cassette_unavailable`, `invalid_state`: the device cannot pay it now; "
        "`terminal_busy`: another process drives the terminal's device (try again)."))
    @blp.alt_response(404, schema=ErrorSchema, description=(
        "`not_found`: the terminal has no quote `quote_id`."))
    @blp.alt_response(410, schema=ErrorSchema, description=(
        "`quote_expired`: the quote's hold ran out; ask for a new quote."))
    @blp.alt_response(503, schema=ErrorSchema, description=(
        "`device_error`: the dispenser cannot be opened or reached; nothing was dispensed "
        "(`errors.device_code` is the driver's code)."))
    @blp.arguments(DispenseRequestSchema)
    @blp.response(201, DispenseSchema, headers={"Idempotent-Replayed": {
        "description": "true when this is the stored answer to an earlier request",
        "schema": {"type": "string"}}})
    def post(self, dispense_request: DispenseRequest, tid: str):
        """Dispense a held quote with the bank host's authorization.

        Needs an `Idempotency-Key` header: the same key and body return the first dispense
        and never pay twice; another body is a 409.

        **The host's authorization.** The bank's host, never the kiosk, holds the terminal's
        secret and signs each payout:

            signed_text = f"{terminal_id}|{quote_id}|{value}|{currency}|{expires_at}"
            signature = hmac.new(secret, signed_text, sha256).hexdigest()

        with `value` and `currency` the quote's amount (`value` in minor units: `200000` is
        2000.00 CZK) and `expires_at` in Unix seconds. The service refuses it with 403
        `authorization_refused`, journalled as `dispense_refused`, and `errors.problem` says
        why: `missing`; `no_host_secret` (the terminal's secret is not configured);
        `invalid` (the signature is not over this terminal, quote and amount); `expired`
        (`expires_at` is not after the service's clock); `too_far_ahead` (`expires_at` is more
        than AUTHORIZATION_MAX_SECONDS, default 300, after the service's clock: this bounds
        both the life of a signature and the clock skew between host and service that is
        accepted); `replayed` (the signature was spent before: each authorization pays out
        once, even for the same quote under another Idempotency-Key). A retry with the same
        Idempotency-Key and body returns the first dispense without spending anything."""
        deps = current_deps()
        dispense, replayed = dispenses.dispense_quote(
            tid, dispense_request, idempotency_key=request.headers.get("Idempotency-Key"),
            actor=current_actor(), uow=deps.unit_of_work(), clock=deps.clock,
            devices=deps.devices, settings=deps.dispense_settings, metrics=deps.metrics,
            catalogue=deps.catalogue)
        return dispense, {"Idempotent-Replayed": "true" if replayed else "false"}


@blp.route("/<tid>/dispenses/<did>")
class DispenseById(MethodView):
    @requires(Role.KIOSK, Role.STAFF, Role.ADMIN)
    @blp.response(200, DispenseSchema)
    def get(self, tid: str, did: str) -> Dispense:
        """Return the dispense's outcome, note by note."""
        deps = current_deps()
        return dispenses.get_dispense(tid, did, uow=deps.unit_of_work(), clock=deps.clock,
                                      devices=deps.devices)


@blp.route("/<tid>/dispenses/<did>/retract")
class Retract(MethodView):
    @requires(Role.KIOSK)
    @blp.response(200, DispenseSchema)
    def post(self, tid: str, did: str) -> Dispense:
        """The customer did not take the cash: retract the presented notes."""
        deps = current_deps()
        return dispenses.retract_dispense(tid, did, actor=current_actor(),
                                          uow=deps.unit_of_work(), clock=deps.clock,
                                          devices=deps.devices)
