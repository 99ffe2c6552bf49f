"""The HTTP API: one blueprint per feature, schemas next to the blueprint that uses them."""

from __future__ import annotations

from flask_smorest import Api
from marshmallow import Schema, fields

from kiosk_service.errors import http_exception_body


class ErrorSchema(Schema):
    """The one error body: a stable code, the HTTP status, a message, details by field."""

    code = fields.String(required=True, metadata={"example": "not_dispensable"})
    status = fields.Integer(required=True, metadata={"example": 422})
    message = fields.String(required=True)
    errors = fields.Dict(metadata={"description": "Every problem, by field (or location)."})


class CashmixApi(Api):
    """flask-smorest's Api with the Cashmix error body for every HTTP error."""

    ERROR_SCHEMA = ErrorSchema

    def handle_http_exception(self, error):
        body, status, headers = http_exception_body(error)
        return body, status, dict(headers)
