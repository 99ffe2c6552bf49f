"""Terminal status and what it can pay now."""

from __future__ import annotations

from flask.views import MethodView
from marshmallow import Schema, fields, validate

from denomination.catalogue import default_catalogue
from kiosk_service.api.blueprint import Blueprint
from kiosk_service.api.schemas import (
    PAGE,
    PAGE_SIZE,
    CassetteSchema,
    cassette_body,
    page_schema,
)
from kiosk_service.api.security import requires
from kiosk_service.records import Role
from kiosk_service.services import terminals
from kiosk_service.services.terminals import TerminalView
from kiosk_service.validators import WholeMatch
from kiosk_service.web_deps import current_deps, current_key

blp = Blueprint("terminals", __name__, url_prefix="/api/v1/terminals",
                description="Terminal status and payable amounts.")


class DeviceSchema(Schema):
    reachable = fields.Boolean()
    state = fields.String(allow_none=True)
    position = fields.String(allow_none=True)
    error = fields.String(allow_none=True)


class TerminalSchema(Schema):
    """A terminal's status."""

    id = fields.String()
    name = fields.String()
    region = fields.String(allow_none=True)
    currency = fields.String()
    note_limit = fields.Integer()
    cassettes = fields.List(fields.Nested(CassetteSchema))
    device = fields.Nested(DeviceSchema)
    policy = fields.Dict(metadata={
        "description": "The dispensing policy: offered kinds in menu order, default kind, "
                       "reserve (face value as printed -> notes), "
                       "quote_expiry_seconds, locale (config/README.md); the note limit is "
                       "the terminal's `note_limit`."})


class DispensableQuerySchema(Schema):
    currency = fields.String(validate=WholeMatch(r"^[A-Z]{3}$"))


class DispensableSchema(Schema):
    """What can be paid now, from the notes no quote holds (minor units)."""

    currency = fields.String()
    largest = fields.Integer(allow_none=True)
    step = fields.Integer()
    amounts = fields.List(fields.Integer())


class TerminalListQuerySchema(Schema):
    region = fields.String(validate=validate.Length(min=1, max=64),
                           metadata={"description": "Only the terminals of this region."})
    page = PAGE
    page_size = PAGE_SIZE


class FleetCassetteSchema(Schema):
    id = fields.String()
    denomination = fields.Integer(metadata={"description": "Minor units per note."})
    count = fields.Integer()
    capacity = fields.Integer(allow_none=True)
    low_threshold = fields.Integer()
    status = fields.String()
    fill = fields.String()
    locked = fields.Boolean()


class WarningSchema(Schema):
    cassette = fields.String()
    code = fields.String(metadata={"description": "empty, low, inoperative or locked"})
    message = fields.String()


class TerminalSummarySchema(Schema):
    """A terminal in a fleet list: where it is, its cassettes' fill, what needs a look."""

    id = fields.String()
    name = fields.String()
    region = fields.String(allow_none=True)
    currency = fields.String()
    cassettes = fields.List(fields.Nested(FleetCassetteSchema))
    warnings = fields.List(fields.Nested(WarningSchema))


TerminalPageSchema = page_schema("TerminalPageSchema", TerminalSummarySchema)


@blp.route("")
class TerminalList(MethodView):
    @requires(Role.KIOSK, Role.STAFF, Role.ADMIN)
    @blp.arguments(TerminalListQuerySchema, location="query")
    @blp.response(200, TerminalPageSchema)
    def get(self, query: dict) -> dict:
        """Return a page of the terminals this key may see (a terminal-bound key: its own),
        ordered by id, optionally of one `region`, with each cassette's fill and warnings."""
        key = current_key()
        page = terminals.list_terminals(
            uow=current_deps().unit_of_work(), region=query.get("region"),
            only=None if key.role == Role.ADMIN else key.terminal_id,
            page=query["page"], page_size=query["page_size"])
        return {"items": [{"id": t.id, "name": t.name, "region": t.region,
                           "currency": t.currency,
                           "cassettes": [cassette_body(c, 0) for c in t.cassettes],
                           "warnings": terminals.warnings(t)} for t in page.items],
                "page": page.page, "page_size": page.page_size, "total": page.total}


@blp.route("/<tid>")
class TerminalStatus(MethodView):
    @requires(Role.KIOSK, Role.STAFF, Role.ADMIN)
    @blp.response(200, TerminalSchema)
    def get(self, tid: str) -> dict:
        """Return the terminal: cassettes with counts and holds, note limit, device health."""
        deps = current_deps()
        view: TerminalView = terminals.terminal_view(tid, uow=deps.unit_of_work(),
                                                     clock=deps.clock, devices=deps.devices)
        t = view.terminal
        return {"id": t.id, "name": t.name, "region": t.region, "currency": t.currency,
                "note_limit": t.note_limit,
                "cassettes": [cassette_body(c, view.held.get(c.id, 0)) for c in t.cassettes],
                "device": view.device,
                "policy": t.dispensing.to_mapping(default_catalogue().currency(t.currency))}


@blp.route("/<tid>/dispensable")
class Dispensable(MethodView):
    @requires(Role.KIOSK, Role.STAFF, Role.ADMIN)
    @blp.arguments(DispensableQuerySchema, location="query")
    @blp.response(200, DispensableSchema)
    def get(self, query: dict, tid: str):
        """Return every amount payable now and the largest, in minor units."""
        deps = current_deps()
        return terminals.dispensable(tid, query.get("currency"), uow=deps.unit_of_work(),
                                     clock=deps.clock)
