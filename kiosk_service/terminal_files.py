"""Terminal files (config/terminals/*.toml): schemas that list every problem, then a Terminal.

A file names the terminal, its currency and note limit, the environment variable holding its
host secret, optionally its dispenser URL and `[policy]` table (denomination/policy.py), and its
cassettes with face values as printed. config/README.md documents every field.
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping
from typing import Any

from marshmallow import Schema, ValidationError, fields, post_load, validate, validates_schema

from denomination.cassettes import Cassette, CassetteStatus
from denomination.catalogue import default_catalogue
from denomination.errors import InvalidAmount, InvalidRequest, UnknownCurrency
from denomination.money import minor_units
from denomination.policy import DispensingPolicy
from kiosk_service.errors import TerminalConfigError
from kiosk_service.records import Terminal
from kiosk_service.validators import WholeMatch

#: The most notes any dispenser presents at once; a file asking for more is a typo.
MAX_NOTE_LIMIT = 200
ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$"
UNIT_PATTERN = r"^unit[0-9A-Za-z]{1,27}$"


class FaceValue(fields.Field):
    """A note's face value as printed: an integer or a decimal string, never a float."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> Any:
        if isinstance(value, bool) or not isinstance(value, int | str):
            raise ValidationError("must be the face value as an integer or a decimal string")
        return value


class CassetteFileSchema(Schema):
    """One `[[cassettes]]` table."""

    id = fields.String(required=True, validate=WholeMatch(ID_PATTERN))
    denomination = FaceValue(required=True)
    count = fields.Integer(strict=True, required=True, validate=validate.Range(min=0))
    capacity = fields.Integer(strict=True, validate=validate.Range(min=1))
    low_threshold = fields.Integer(strict=True, load_default=0, validate=validate.Range(min=0))
    status = fields.String(load_default="ok",
                           validate=validate.OneOf([s.value for s in CassetteStatus]))
    locked = fields.Boolean(load_default=False)
    # The XFS4IoT storage unit holding this cassette; absent: the unit whose id is the
    # cassette's id.
    unit = fields.String(validate=WholeMatch(UNIT_PATTERN, error=(
        "must be a storage unit name such as unit3")))

    @validates_schema(skip_on_field_errors=False)
    def count_fits(self, data: Mapping[str, Any], **kwargs: Any) -> None:
        capacity = data.get("capacity")
        if capacity is not None and data.get("count", 0) > capacity:
            raise ValidationError(f"is above the capacity {capacity}", "count")


class TerminalFileSchema(Schema):
    """A whole terminal file."""

    id = fields.String(required=True, validate=WholeMatch(ID_PATTERN))
    name = fields.String(required=True, validate=validate.Length(min=1, max=200))
    currency = fields.String(required=True)
    note_limit = fields.Integer(strict=True, required=True,
                                validate=validate.Range(min=1, max=MAX_NOTE_LIMIT))
    host_secret_env = fields.String(required=True, validate=WholeMatch(r"^[A-Z_][A-Z0-9_]*$"))
    dispenser = fields.String(validate=validate.Length(min=1, max=500))
    region = fields.String(validate=validate.Length(min=1, max=64))
    # Checked whole by DispensingPolicy.from_mapping in `consistent`, against the currency.
    policy = fields.Dict(keys=fields.String())
    cassettes = fields.List(fields.Nested(CassetteFileSchema), required=True,
                            validate=validate.Length(min=1))

    @validates_schema(skip_on_field_errors=False, pass_original=True)
    def consistent(self, data: Mapping[str, Any], original: Any, **kwargs: Any) -> None:
        # Checked on the original input so that one bad cassette hides no other problem.
        problems: dict[str, Any] = {}
        currency = None
        if "currency" in data:
            try:
                currency = default_catalogue().currency(data["currency"])
            except UnknownCurrency as error:
                problems["currency"] = [error.message]
        raw = original.get("cassettes") if isinstance(original, Mapping) else None
        seen: set[Any] = set()
        units: set[Any] = set()
        for index, cassette in enumerate(raw if isinstance(raw, list) else ()):
            if not isinstance(cassette, Mapping):
                continue
            found: dict[str, list[str]] = {}
            if cassette.get("id") in seen:
                found.setdefault("id", []).append(f"{cassette.get('id')!r} is used twice")
            seen.add(cassette.get("id"))
            if cassette.get("unit") is not None:
                if cassette["unit"] in units:
                    found.setdefault("unit", []).append(
                        f"{cassette['unit']!r} is given to two cassettes")
                units.add(cassette["unit"])
            face = cassette.get("denomination")
            if currency is not None and isinstance(face, int | str) and not isinstance(face, bool):
                try:
                    currency.note_of(face)
                except InvalidAmount as error:
                    found.setdefault("denomination", []).append(error.message)
            if found:
                problems.setdefault("cassettes", {})[index] = found
        policy = original.get("policy") if isinstance(original, Mapping) else None
        if currency is not None and isinstance(policy, Mapping):
            found = _policy_problems(policy, currency)
            if found:
                problems["policy"] = found
        if problems:
            raise ValidationError(problems)

    @post_load
    def to_terminal(self, data: Mapping[str, Any], **kwargs: Any) -> Terminal:
        exponent = default_catalogue().currency(data["currency"]).exponent
        cassettes = tuple(
            Cassette(c["id"], data["currency"], minor_units(c["denomination"], exponent),
                     c["count"], CassetteStatus(c["status"]), c.get("capacity"),
                     c["low_threshold"], c["locked"])
            for c in data["cassettes"])
        policy = None
        if "policy" in data:
            policy = DispensingPolicy.from_mapping(
                data["policy"], default_catalogue().currency(data["currency"]))
        units = tuple((c["id"], c["unit"]) for c in data["cassettes"] if c.get("unit"))
        return Terminal(data["id"], data["name"], data["currency"], data["note_limit"],
                        cassettes, data["host_secret_env"], data.get("dispenser"), policy,
                        units, data.get("region"))


def _policy_problems(policy: Mapping[str, Any], currency: Any) -> dict[str, list[str]]:
    # The note limit is the terminal's own (top-level) field; one value, one place.
    found: dict[str, list[str]] = {}
    if "note_limit" in policy:
        found["note_limit"] = ["set note_limit at the top of the file, not in [policy]"]
    try:
        DispensingPolicy.from_mapping({k: v for k, v in policy.items() if k != "note_limit"},
                                      currency)
    except InvalidRequest as error:
        for key, messages in error.errors.items():
            found.setdefault(key, []).extend(messages)
    return found


def parse_terminal(data: Mapping[str, Any], source: str = "terminal") -> Terminal:
    """Validate a parsed terminal file; raises TerminalConfigError listing every problem."""
    try:
        return TerminalFileSchema().load(data)
    except ValidationError as error:
        raise TerminalConfigError(f"{source} is invalid", flatten(error.messages)) from None


def load_terminal_file(path: str | os.PathLike[str]) -> Terminal:
    """Read and validate a terminal TOML file; raises TerminalConfigError (every problem)."""
    try:
        with open(path, "rb") as file:
            data = tomllib.load(file)
    except (OSError, tomllib.TOMLDecodeError) as error:
        raise TerminalConfigError(f"cannot read {path}", {"file": [str(error)]}) from error
    return parse_terminal(data, str(path))


def flatten(messages: Any, prefix: str = "") -> dict[str, list[str]]:
    """Turn marshmallow's nested messages into {"cassettes.0.count": [...]}."""
    if isinstance(messages, list):
        return {prefix or "_schema": [str(m) for m in messages]}
    flat: dict[str, list[str]] = {}
    for key, value in messages.items():
        for where, found in flatten(value, f"{prefix}.{key}" if prefix else str(key)).items():
            flat.setdefault(where, []).extend(found)
    return flat
