"""Console forms read from request.form: values and every problem, keyed by field name."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, time
from functools import lru_cache
from typing import Any

from marshmallow import EXCLUDE, Schema, ValidationError, fields, post_load, pre_load, validate

from denomination.cassettes import CassetteStatus
from denomination.catalogue import Currency
from denomination.errors import InvalidAmount, InvalidRequest
from denomination.money import minor_units
from denomination.policy import DispensingPolicy
from denomination.preferences import PREFERENCE_KINDS
from kiosk_service.records import JOURNAL_KINDS, Terminal
from kiosk_service.services.cassettes import CassetteChange

#: Statuses staff set by hand; missing and manipulated are the device's to report.
STAFF_STATUSES = (CassetteStatus.OK, CassetteStatus.INOPERATIVE)
MAX_REASON = 500


@dataclass
class Form:
    """What was typed (to show again), what it means, and every problem per field."""

    raw: dict[str, str]
    values: dict[str, Any] = field(default_factory=dict)
    errors: dict[str, list[str]] = field(default_factory=dict)

    def problem(self, name: str, message: str) -> None:
        self.errors.setdefault(name, []).append(message)

    def whole(self, name: str, *, minimum: int = 0, maximum: int | None = None,
              required: bool = True) -> int | None:
        """Read a whole number (digits only: "1.5" and "1e3" are refused)."""
        text = self.raw.get(name, "").strip()
        if not text:
            if required:
                self.problem(name, "required")
            return None
        if not text.isdigit():
            self.problem(name, "must be a whole number")
            return None
        value = int(text)
        if value < minimum or (maximum is not None and value > maximum):
            top = "" if maximum is None else f" to {maximum}"
            self.problem(name, f"must be from {minimum}{top}")
            return None
        return value

    def reason(self) -> str | None:
        text = self.raw.get("reason", "").strip()
        if not text:
            self.problem("reason", "say why (it goes in the journal)")
        elif len(text) > MAX_REASON:
            self.problem("reason", f"at most {MAX_REASON} characters")
        return text or None


def raw(form: Mapping[str, str]) -> dict[str, str]:
    """Return the submitted fields without the CSRF token."""
    return {k: v for k, v in form.items() if k != "csrf_token"}


def replenish_form(data: Mapping[str, str], terminal: Terminal, currency: Currency) -> Form:
    """Read `loaded.<cassette>` notes and the typed `total` (face value as printed)."""
    form = Form(raw(data))
    form.values["loaded"] = {
        c.id: form.whole(f"loaded.{c.id}", required=False) or 0 for c in terminal.cassettes}
    total = form.raw.get("total", "").strip().replace(" ", "")
    if not total:
        form.problem("total", "type the total value of the notes you loaded")
    else:
        try:
            form.values["total"] = minor_units(total, currency.exponent)
        except (InvalidAmount, ArithmeticError, ValueError):
            form.problem("total", f"must be an amount in {currency.code}, e.g. 150000")
    form.values["reason"] = form.raw.get("reason", "").strip()[:MAX_REASON] or "replenishment"
    return form


def replenish_initial(args: Mapping[str, str], terminal: Terminal) -> Form:
    """Return the replenish form filled in from `loaded.<cassette>` query parameters (a
    recommended load): whole numbers for the terminal's cassettes only, never the total."""
    shown = {}
    for cassette in terminal.cassettes:
        text = args.get(f"loaded.{cassette.id}", "").strip()
        if text.isdigit() and int(text) > 0:
            shown[f"loaded.{cassette.id}"] = str(int(text))
    return Form(shown)


class _FaceValue(fields.String):
    """A note as printed (`2000`), loaded as its minor units in the schema's currency."""

    def __init__(self, currency: Currency, **kwargs: Any):
        super().__init__(**kwargs)
        self.currency = currency

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> int:
        try:
            return self.currency.note_of(super()._deserialize(value, attr, data, **kwargs).strip())
        except InvalidAmount as error:
            raise ValidationError(f"choose a {self.currency.code} note: {error.message}") from None


@lru_cache(maxsize=64)
def cassette_change_schema(currency: Currency) -> Schema:
    """Return the schema of the console's cassette form (face value, status, count, reason),
    loading into the service's CassetteChange; every problem at once, like the API's."""

    class CassetteFormSchema(Schema):
        denomination = _FaceValue(currency, required=True)
        status = fields.String(required=True, validate=validate.OneOf(
            [str(s) for s in STAFF_STATUSES], error="choose in service or inoperative"))
        count = fields.Integer(required=True, validate=validate.Range(min=0, max=100_000),
                               error_messages={"invalid": "must be a whole number"})
        reason = fields.String(required=True, validate=validate.Length(
            min=1, max=MAX_REASON, error="say why (it goes in the journal), at most "
                                         f"{MAX_REASON} characters"))

        class Meta:
            unknown = EXCLUDE        # the CSRF token rides along

        @pre_load
        def blank_is_missing(self, data: Mapping[str, Any], **kwargs: Any) -> dict[str, Any]:
            return {k: v.strip() for k, v in data.items() if isinstance(v, str) and v.strip()}

        @post_load
        def to_change(self, data: dict[str, Any], **kwargs: Any) -> CassetteChange:
            return CassetteChange(data["reason"], count=data["count"],
                                  denomination=data["denomination"],
                                  status=CassetteStatus(data["status"]))

    return CassetteFormSchema()


def cassette_form(data: Mapping[str, str], currency: Currency) -> Form:
    """Read a cassette change through cassette_change_schema; `values["change"]` is the
    CassetteChange when the form is valid."""
    form = Form(raw(data))
    try:
        form.values["change"] = cassette_change_schema(currency).load(form.raw)
    except ValidationError as error:
        for name, messages in error.messages.items():
            form.errors.setdefault(name, []).extend(
                messages if isinstance(messages, list) else [str(messages)])
    return form


def policy_form(data: Any, currency: Currency) -> Form:
    """Read a dispensing policy in its TOML form (DispensingPolicy.from_mapping checks it)."""
    form = Form(raw(data))
    offered = [k for k in PREFERENCE_KINDS if k in data.getlist("offered")]
    reserve = {}
    for note in currency.notes:
        name = f"reserve.{note}"
        count = form.whole(name, required=False)
        if count:
            reserve[currency.face(note)] = count
    expiry = form.whole("quote_expiry_seconds", minimum=5, maximum=3600)
    policy = {"offered": offered, "default": form.raw.get("default", ""), "reserve": reserve,
              "locale": form.raw.get("locale", "")}
    try:
        # A bad expiry is reported above already; check the rest with a valid stand-in.
        DispensingPolicy.from_mapping(policy | {"quote_expiry_seconds": expiry or 60}, currency)
    except InvalidRequest as error:
        for name, messages in error.errors.items():
            form.errors.setdefault(name, []).extend(messages)
    form.values["policy"] = policy | {"quote_expiry_seconds": expiry}
    form.values["reason"] = form.reason()
    return form


def journal_filters(args: Mapping[str, str]) -> Form:
    """Read the journal's filters: kind, cassette, from and to dates (YYYY-MM-DD), page."""
    form = Form({k: args.get(k, "") for k in ("kind", "cassette", "since", "until", "page")})
    form.values["kinds"] = [form.raw["kind"]] if form.raw["kind"] else None
    if form.raw["kind"] and form.raw["kind"] not in JOURNAL_KINDS:
        form.problem("kind", "choose one of the kinds listed")
    form.values["subject"] = form.raw["cassette"] or None
    for name, moment in (("since", time.min), ("until", time.max)):
        text = form.raw[name]
        try:
            day = datetime.strptime(text, "%Y-%m-%d").date() if text else None
        except ValueError:
            form.problem(name, "a date like 2025-01-31")
            day = None
        form.values[name] = None if day is None else datetime.combine(day, moment, tzinfo=UTC)
    form.values["page"] = form.whole("page", minimum=1, required=False) or 1
    return form


def fleet_filters(args: Mapping[str, str], sorts: tuple[str, ...]) -> Form:
    """Read the fleet page's filters: region (blank: all), sort (one of `sorts`), page."""
    form = Form({k: args.get(k, "").strip() for k in ("region", "sort", "page")})
    form.values["region"] = form.raw["region"][:64] or None
    form.values["sort"] = form.raw["sort"] or sorts[0]
    if form.values["sort"] not in sorts:
        form.problem("sort", "choose one of the orders listed")
        form.values["sort"] = sorts[0]
    form.values["page"] = form.whole("page", minimum=1, maximum=1_000_000, required=False) or 1
    return form
