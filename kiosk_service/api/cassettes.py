"""Cassettes (staff): read, replenish, recount, change denomination, take out of service."""

from __future__ import annotations

from typing import Any

from flask.views import MethodView
from marshmallow import Schema, ValidationError, fields, post_load, validate, validates_schema

from denomination.cassettes import CassetteStatus
from kiosk_service.api.blueprint import Blueprint
from kiosk_service.api.schemas import CassetteSchema, cassette_body
from kiosk_service.api.security import requires
from kiosk_service.records import Role
from kiosk_service.services import cassettes
from kiosk_service.services.cassettes import CassetteChange, CassetteView
from kiosk_service.web_deps import current_actor, current_deps

blp = Blueprint("cassettes", __name__, url_prefix="/api/v1/terminals",
                description="Staff: cassette loads and changes, each journalled.")

REASON = fields.String(required=True, validate=validate.Length(min=3, max=500),
                       metadata={"description": "Why: goes to the journal."})
COUNT = fields.Integer(strict=True, validate=validate.Range(min=0, max=100_000))
DENOMINATION = fields.Integer(strict=True, validate=validate.Range(min=1),
                              metadata={"description": "Minor units per note."})


class ReplenishSchema(Schema):
    """A load of fresh notes (PUT): the new count, optionally a new denomination."""

    count = fields.Integer(strict=True, required=True,
                           validate=validate.Range(min=0, max=100_000))
    denomination = DENOMINATION
    capacity = fields.Integer(strict=True, validate=validate.Range(min=1, max=100_000))
    low_threshold = fields.Integer(strict=True, validate=validate.Range(min=0))
    reason = REASON

    @post_load
    def to_change(self, data: dict[str, Any], **kwargs: Any) -> CassetteChange:
        return CassetteChange(replenish=True, **data)


class AdjustSchema(Schema):
    """A change (PATCH): a recount, a new denomination, out of or back in service."""

    count = COUNT
    denomination = DENOMINATION
    low_threshold = fields.Integer(strict=True, validate=validate.Range(min=0))
    status = fields.String(validate=validate.OneOf([CassetteStatus.OK.value,
                                                   CassetteStatus.INOPERATIVE.value]))
    locked = fields.Boolean()
    reason = REASON

    @validates_schema
    def changes_something(self, data: dict[str, Any], **kwargs: Any) -> None:
        if set(data) <= {"reason"}:
            raise ValidationError("name at least one field to change", "_schema")

    @post_load
    def to_change(self, data: dict[str, Any], **kwargs: Any) -> CassetteChange:
        if "status" in data:
            data["status"] = CassetteStatus(data["status"])
        return CassetteChange(**data)


def _body(view: CassetteView) -> dict:
    return cassette_body(view.cassette, view.held)


@blp.route("/<tid>/cassettes")
class Cassettes(MethodView):
    @requires(Role.STAFF, Role.ADMIN)
    @blp.response(200, CassetteSchema(many=True))
    def get(self, tid: str) -> list[dict]:
        """Return the terminal's cassettes."""
        deps = current_deps()
        return [_body(v) for v in cassettes.list_cassettes(tid, uow=deps.unit_of_work(),
                                                           clock=deps.clock)]


@blp.route("/<tid>/cassettes/<cid>")
class CassetteById(MethodView):
    @requires(Role.STAFF, Role.ADMIN)
    @blp.response(200, CassetteSchema)
    def get(self, tid: str, cid: str) -> dict:
        """Return one cassette."""
        deps = current_deps()
        return _body(cassettes.get_cassette(tid, cid, uow=deps.unit_of_work(), clock=deps.clock))

    @requires(Role.STAFF, Role.ADMIN)
    @blp.arguments(ReplenishSchema)
    @blp.response(200, CassetteSchema)
    def put(self, change: CassetteChange, tid: str, cid: str) -> dict:
        """Replenish: load fresh notes; the cassette is back in service."""
        return self._change(tid, cid, change)

    @requires(Role.STAFF, Role.ADMIN)
    @blp.arguments(AdjustSchema)
    @blp.response(200, CassetteSchema)
    def patch(self, change: CassetteChange, tid: str, cid: str) -> dict:
        """Adjust: recount, change denomination, mark inoperative or back in service."""
        return self._change(tid, cid, change)

    @staticmethod
    def _change(tid: str, cid: str, change: CassetteChange) -> dict:
        deps = current_deps()
        return _body(cassettes.change_cassette(tid, cid, change, actor=current_actor(),
                                               uow=deps.unit_of_work(), clock=deps.clock,
                                               devices=deps.devices))
