"""The HTTP API: one blueprint per feature, schemas next to the blueprint that uses them."""

from __future__ import annotations

from flask_smorest import Api
from marshmallow import Schema, fields

from kiosk_service.errors import http_exception_body

#: The top of the OpenAPI document: what every operation shares.
API_DESCRIPTION = """\
Cash withdrawals with the customer's choice of notes. Amounts are integers in the currency's
minor unit: `{"value": 200000, "currency": "CZK"}` is 2000.00 CZK.

Every error has one body, `{"code", "status", "message", "errors"}`; `code` is stable,
`message` is a sentence for people.

**Keys and terminal ids.** Every operation names a terminal (`tid`). No key or an unknown one
is 401 `unauthenticated`. A key whose role may not do the operation, or that is not for that
terminal, is 403 `forbidden`: a kiosk key (and a staff key issued for one terminal) gets 403
for every other terminal id, whether that terminal exists or not, so such a key cannot probe
which terminals exist. Only a key that covers every terminal (admin, or staff issued for no
one terminal) learns that a terminal does not exist: 404 `not_found`, as it is for a quote,
dispense or cassette the terminal does not have.

**Bodies** are JSON: a body sent with another `Content-Type` is 415
`unsupported_media_type`.
"""


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
