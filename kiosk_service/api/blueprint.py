"""The API's Blueprint: flask-smorest's, whose JSON bodies must say they are JSON (415 if not)."""

from __future__ import annotations

from typing import Any

import flask
from flask_smorest import Blueprint as SmorestBlueprint
from flask_smorest.utils import resolve_schema_instance
from webargs.core import is_json
from webargs.flaskparser import FlaskParser

from kiosk_service.api import ErrorSchema
from kiosk_service.errors import UnsupportedMediaType

NOT_JSON = ("`unsupported_media_type`: the request has a body that is not declared "
            "`Content-Type: application/json`.")


class JsonBodyParser(FlaskParser):
    """webargs' Flask parser, except that a body of another media type is refused, not read
    as no body at all (which would report every required field as missing)."""

    def load_json(self, req: flask.Request, schema: Any) -> Any:
        declared = req.content_type
        if (declared and not is_json(req.mimetype)) or (not declared and req.get_data(cache=True)):
            sent = f"as {req.mimetype}" if declared else "without a Content-Type"
            raise UnsupportedMediaType(
                f"The body was sent {sent}; send JSON as Content-Type: application/json.",
                content_type=declared or None)
        return super().load_json(req, schema)


class Blueprint(SmorestBlueprint):
    """A flask-smorest Blueprint whose JSON-body operations refuse other media types (415) and
    document it, and whose argument schemas are built once."""

    ARGUMENTS_PARSER = JsonBodyParser()

    def arguments(self, schema: Any, *, location: str = "json", **kwargs: Any):
        # One instance per operation: given a class, webargs builds the schema (and each nested
        # one) on every request. Loading keeps no state on the instance, so threads share it.
        parse = super().arguments(resolve_schema_instance(schema), location=location, **kwargs)
        if location != "json":
            return parse
        refuse = self.alt_response(415, schema=ErrorSchema, description=NOT_JSON)
        return lambda view: refuse(parse(view))
