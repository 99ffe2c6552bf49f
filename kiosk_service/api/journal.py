"""The journal (staff): append-only, paged, filterable by kind and time."""

from __future__ import annotations

from flask.views import MethodView
from marshmallow import Schema, fields, validate

from kiosk_service.api.blueprint import Blueprint
from kiosk_service.api.schemas import PAGE, PAGE_SIZE, page_schema
from kiosk_service.api.security import requires
from kiosk_service.records import JOURNAL_KINDS, Role
from kiosk_service.services.journal import JournalPage, read_journal
from kiosk_service.web_deps import current_deps

blp = Blueprint("journal", __name__, url_prefix="/api/v1/terminals",
                description="Staff: the append-only audit journal.")


class JournalQuerySchema(Schema):
    kind = fields.List(fields.String(validate=validate.OneOf(JOURNAL_KINDS)), metadata={
        "description": "Repeat to ask for several kinds; another kind is 422 naming these."})
    since = fields.AwareDateTime(default_timezone=None)
    until = fields.AwareDateTime(default_timezone=None)
    page = PAGE
    page_size = PAGE_SIZE


class JournalEntrySchema(Schema):
    id = fields.Integer()
    at = fields.DateTime()
    kind = fields.String()
    terminal_id = fields.String()
    actor = fields.String()
    subject = fields.String(allow_none=True)
    reason = fields.String(allow_none=True)
    before = fields.Dict(allow_none=True)
    after = fields.Dict(allow_none=True)
    details = fields.Dict(allow_none=True)


JournalPageSchema = page_schema("JournalPageSchema", JournalEntrySchema)


@blp.route("/<tid>/journal")
class Journal(MethodView):
    @requires(Role.STAFF, Role.ADMIN)
    @blp.arguments(JournalQuerySchema, location="query")
    @blp.response(200, JournalPageSchema)
    def get(self, query: dict, tid: str) -> JournalPage:
        """Return a page of the journal, oldest first; filter by `kind`, `since`, `until`."""
        return read_journal(tid, uow=current_deps().unit_of_work(), kinds=query.get("kind"),
                            since=query.get("since"), until=query.get("until"),
                            page=query["page"], page_size=query["page_size"])
