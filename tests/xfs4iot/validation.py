"""Check XFS4IoT messages of the 2021-1 and 2024-3 wire dialects against JSON Schemas.

2021-1 uses the schema KAL publishes (shared reference/xfs4iot-2021-1/schema.json), made
stricter than the file alone: a message whose (type, name, version) matches none of its root
rules fails (the file lets it pass unchecked); every object it describes is closed, so a key it
does not declare fails; the header is its `Common.XFSHeader` plus `version: "1.0"` and nothing
else; the payload must be an object, and a completion's must hold `completionCode`. One
relaxation: an unsolicited event may leave out `requestId`, as KAL's framework does.
2024-3 uses tests/xfs4iot/schema-2024-3.json, our subset written from KAL's generated classes,
with the same rule check. Test support: product code does not import this module.
"""

from __future__ import annotations

import copy
import json
import os
from abc import ABC, abstractmethod
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator
from jsonschema.exceptions import ValidationError, best_match
from referencing import Registry
from referencing.jsonschema import DRAFT202012

HERE = Path(__file__).resolve().parent
#: The 2021-1 schema lives in the shared reference folder beside the checkout; set
#: CASHMIX_XFS4IOT_2021_SCHEMA to use another copy.
SCHEMA_2021_1 = Path(os.environ.get(
    "CASHMIX_XFS4IOT_2021_SCHEMA",
    HERE.parents[1].parent / "shared" / "reference" / "xfs4iot-2021-1" / "schema.json"))
SCHEMA_2024_3 = HERE / "schema-2024-3.json"
DIALECTS = ("2021-1", "2024-3")
DIRECTIONS = ("to_device", "to_client")

#: Keywords whose subschemas describe a value of their own (where an object is closed).
_VALUE_MAPS = ("properties", "patternProperties")
_VALUE_SCHEMAS = ("additionalProperties", "items")
_COMPOSITIONS = ("allOf", "anyOf", "oneOf")

#: (header type, header name or None for any name, version) of one root if/then rule.
RuleKey = tuple[str, str | None, str]


@dataclass(frozen=True, slots=True)
class Problem:
    """One thing wrong with a message.

    `where` is a dotted path ("header", "payload.denomination.denomination.values.unit3") or
    "message"; `code` is the JSON Schema keyword that failed ("type", "enum", "required",
    "pattern", ...), "unknown_key" for a key the schema does not declare, "no_rule" for a
    (type, name, version) the dialect's schema has no rule for, "not_json", "not_an_object" or
    (transcripts) "bad_line".
    """

    where: str
    code: str
    text: str

    def __str__(self) -> str:
        return f"{self.where}: {self.text}"


def validate_message(message: Mapping[str, Any], dialect: str) -> None:
    """Check one message; raises AssertionError listing every problem, ValueError for a dialect
    other than "2021-1" or "2024-3"."""
    problems = message_problems(message, dialect)
    if problems:
        raise AssertionError(_report(message, dialect, problems))


def message_problems(message: Any, dialect: str) -> list[Problem]:
    """Return every problem of one message, a dict or its JSON text (empty when it is valid);
    raises ValueError for an unknown dialect."""
    schemas = _schemas(dialect)
    if isinstance(message, str | bytes):
        try:
            message = json.loads(message)
        except ValueError as error:
            return [Problem("message", "not_json", f"not JSON: {error}")]
    if not isinstance(message, Mapping):
        return [Problem("message", "not_an_object", f"a message is a JSON object, not "
                                                    f"{json.dumps(message, default=str):.80}")]
    problems = [_problem(error) for error in schemas.envelope(message).iter_errors(message)]
    header = message.get("header")
    if not isinstance(header, Mapping):
        return problems
    key, missing = schemas.rule_key(header)
    if key not in schemas.rules:
        return [*problems, Problem("header", "no_rule", missing)]
    rule = schemas.rule_validator(key)
    if rule is not None:
        problems += [_problem(error) for error in rule.iter_errors(message)]
    return problems


def known_messages(dialect: str) -> frozenset[RuleKey]:
    """Return the (type, name, version) keys the dialect's schema has a rule for (name None:
    the 2021-1 rule for every acknowledge)."""
    return frozenset(_schemas(dialect).rules)


def validate_transcript(lines: Iterable[Mapping[str, Any]], dialect: str) -> None:
    """Check every message of a recorded transcript, each line {"direction": "to_device" |
    "to_client", "message": {...}}; raises AssertionError naming each bad line."""
    lines = list(lines)
    failures = {}
    for number, problem in transcript_problems(lines, dialect):
        failures.setdefault(number, []).append(problem)
    if failures:
        raise AssertionError(f"{len(failures)} bad transcript line(s)\n" + "\n".join(
            f"line {number} ({_direction(lines[number - 1])}) "
            + _report(_message(lines[number - 1]), dialect, problems)
            for number, problems in failures.items()))


def transcript_problems(lines: Iterable[Mapping[str, Any]],
                        dialect: str) -> list[tuple[int, Problem]]:
    """Return (line number from 1, problem) for every problem of a transcript's lines; a line
    that is not {"direction", "message"} or names another direction has code "bad_line"."""
    return [(number, problem) for number, line in enumerate(lines, start=1)
            for problem in _line_problems(line, dialect)]


class MessageRecorder:
    """Observer to plug into a driver or endpoint as `on_message(direction, message)`.

    Each message is checked as it is recorded. An invalid one raises AssertionError at once,
    and is also kept in `failures`: where the callback runs in a thread or task that swallows
    exceptions, call `assert_valid()` at the end of the test.
    """

    def __init__(self, dialect: str):
        _schemas(dialect)                       # an unknown dialect fails here, not later
        self.dialect = dialect
        self.messages: list[dict[str, Any]] = []    # {"direction", "message"}, in order
        self.failures: list[str] = []

    def record(self, direction: str, message: Mapping[str, Any] | str | bytes) -> None:
        """Record a copy of `message` (a dict or its JSON text), sent `direction`; raises
        AssertionError when the direction is unknown or the message is invalid (it is recorded
        all the same), ValueError when the text is not JSON."""
        if isinstance(message, str | bytes):
            message = json.loads(message)       # a raw frame: keep the parsed message
        line = {"direction": direction, "message": copy.deepcopy(message)}
        self.messages.append(line)
        problems = _line_problems(line, self.dialect)
        if problems:
            self.failures.append(f"message {len(self.messages)} ({direction}) "
                                 + _report(message, self.dialect, problems))
            raise AssertionError(self.failures[-1])

    on_message = record

    def of(self, name: str, type_: str | None = None) -> list[dict[str, Any]]:
        """Return the recorded messages named `name` (and of header type `type_`), in order."""
        return [entry["message"] for entry in self.messages
                if _header(entry["message"]).get("name") == name
                and type_ in (None, _header(entry["message"]).get("type"))]

    def assert_valid(self) -> None:
        """Raise AssertionError listing every invalid message recorded so far."""
        if self.failures:
            raise AssertionError(f"{len(self.failures)} invalid message(s)\n"
                                 + "\n".join(self.failures))


# -- the two dialects ------------------------------------------------------------------------

class _Schemas(ABC):
    """One dialect's schema document, its rules and the validators made from them; a
    subclass says how its dialect's envelope and rules are checked."""

    def __init__(self, document: dict[str, Any]):
        self.document = document
        self.id = document["$id"]
        # Crawled once: the 2021-1 file embeds the /messages and /schemas resources, and an
        # uncrawled registry walks the whole megabyte on every lookup.
        self.registry = Registry().with_resource(
            self.id, DRAFT202012.create_resource(document)).crawl()
        #: (header type, name or None for "any name", version) -> index in the root allOf.
        self.rules: dict[RuleKey, int] = dict(_rule_table(document))
        self._validators: dict[Any, Draft202012Validator] = {}

    def validator(self, key: Any, schema: Mapping[str, Any]) -> Draft202012Validator:
        if key not in self._validators:
            self._validators[key] = Draft202012Validator(schema, registry=self.registry)
        return self._validators[key]

    @abstractmethod
    def envelope(self, message: Mapping[str, Any]) -> Draft202012Validator:
        """Return the validator of the whole message's envelope (header and payload)."""

    @abstractmethod
    def rule_key(self, header: Mapping[str, Any]) -> tuple[RuleKey | None, str]:
        """Return the key of the rule that checks a message with this header (None: it can
        name none) and the problem to report when the schema has no rule of that key."""

    @abstractmethod
    def rule_validator(self, key: RuleKey) -> Draft202012Validator | None:
        """Return the validator of the rule `key` (None when `envelope` already applies it)."""


class _Schemas2021(_Schemas):
    """2021-1: envelope and header built here, payload by the published rule's `then`."""

    def __init__(self, document: dict[str, Any]):
        super().__init__(_closed(document))
        self.header = document["$defs"]["schemas"]["2021-01"].get("Common.XFSHeader")
        if self.header is None:
            raise LookupError(f"{SCHEMA_2021_1} has no Common.XFSHeader definition")

    def envelope(self, message):
        header = message.get("header")
        unsolicited = isinstance(header, Mapping) and _unsolicited(header)
        return self.validator(("envelope", unsolicited), {
            "$comment": "header: Common.XFSHeader plus version 1.0, closed; a 2021-1 payload is "
                        "an object (KAL then: 'The XFS4IoT payload can't be a null value')",
            "type": "object", "required": ["header", "payload"],
            "properties": {"header": self._header(unsolicited), "payload": {"type": "object"}},
            "additionalProperties": False})

    def _header(self, unsolicited: bool) -> dict[str, Any]:
        required = [key for key in [*self.header.get("required", []), "version"]
                    if not (unsolicited and key == "requestId")]
        return {**self.header, "required": required,
                "properties": {**self.header["properties"], "version": {"const": "1.0"}},
                "additionalProperties": False}

    def rule_key(self, header):
        type_, name, version = header.get("type"), header.get("name"), header.get("version")
        if type_ == "acknowledge":          # one rule for every acknowledge, of any name
            if ("command", name, version) not in self.rules:
                return None, (f"no 2021-1 rule for the command {name!r} version {version!r} "
                              "that this acknowledge names")
            return ("acknowledge", None, version), ""
        if type_ == "event" and _unsolicited(header):
            type_ = "unsolicited"               # KAL's framework sends these as `event`
        return (type_, name, version), (f"no 2021-1 rule for {type_!r} {name!r} version "
                                        f"{version!r}: unknown message, or not in 2021-1"
                                        + (" (an event without requestId is unsolicited)"
                                           if type_ != header.get("type") else ""))

    def rule_validator(self, key):
        then = {"$ref": f"{self.id}#/allOf/{self.rules[key]}/then"}
        if key[0] == "completion":
            then = {"allOf": [then], "properties": {"payload": {
                "$comment": "KAL_XFS4IoT_SP-Dev@b3acc44 Framework/Core/Common/Completions/"
                            "Payload.cs: completionCode IsRequired",
                "required": ["completionCode"]}}}
        return self.validator(key, then)


class _Schemas2024(_Schemas):
    """2024-3: the whole message against our schema (envelope, header and rules in one)."""

    def envelope(self, message):
        return self.validator("root", {"$ref": self.id})

    def rule_key(self, header):
        type_, name, version = header.get("type"), header.get("name"), header.get("version")
        versions = sorted(v for t, n, v in self.rules if (t, n) == (type_, name))
        known = f" (known: {', '.join(versions)})" if versions else ""
        return (type_, name, version), (f"no 2024-3 rule for {type_!r} {name!r} version "
                                        f"{version!r}{known}: not in schema-2024-3.json")

    def rule_validator(self, key):
        return None                                 # the root's allOf applied the rule


@cache
def _schemas(dialect: str) -> _Schemas:
    if dialect == "2021-1":
        if not SCHEMA_2021_1.is_file():
            raise FileNotFoundError(f"the 2021-1 schema is not at {SCHEMA_2021_1}; set "
                                    "CASHMIX_XFS4IOT_2021_SCHEMA")
        return _Schemas2021(json.loads(SCHEMA_2021_1.read_text(encoding="utf-8")))
    if dialect == "2024-3":
        return _Schemas2024(json.loads(SCHEMA_2024_3.read_text(encoding="utf-8")))
    raise ValueError(f"unknown dialect {dialect!r}; one of {', '.join(DIALECTS)}")


def _rule_table(document: Mapping[str, Any]) -> Iterable[tuple[RuleKey, int]]:
    """Yield each root if/then rule's (type, name, version) key: the only way to know which
    messages a schema checks, since a message that hits no rule passes it."""
    for index, rule in enumerate(document["allOf"]):
        header = rule["if"]["properties"]["header"]["properties"]
        yield ((header["type"]["const"], header.get("name", {}).get("const"),
                header["version"]["const"]), index)


def _unsolicited(header: Mapping[str, Any]) -> bool:
    return header.get("type") == "unsolicited" or (
        header.get("type") == "event" and header.get("requestId") is None)


# -- closing the 2021-1 schema's objects -----------------------------------------------------

def _closed(document: dict[str, Any]) -> dict[str, Any]:
    """Return a copy of the 2021-1 schema in which every object value that declares its keys
    rejects other keys. Each value position (a property's, an item's, a dictionary entry's
    schema, and each rule's payload) gains a sibling `propertyNames` listing the names and
    patterns its schema declares through $ref and allOf. The shared definitions stay as they
    are, so compositions that build one object from several still see all of its keys."""
    document = copy.deepcopy(document)
    defs = document["$defs"]
    resources = {"": document, "/messages": defs["messages"], "/schemas": defs["schemas"]}

    def resolve(ref: str, base: str) -> tuple[Any, str]:
        target, _, pointer = ref.partition("#")
        base = target or base
        node = resources[base]
        for part in filter(None, pointer.split("/")):
            node = node[part.replace("~1", "/").replace("~0", "~")]
        return node, base

    def declared(schema: Any, base: str, seen: frozenset[str]) -> tuple[set, set, bool]:
        """Return (names, patterns, open) of the keys `schema` declares."""
        names, patterns, is_open = set(), set(), False
        if not isinstance(schema, dict):
            return names, patterns, is_open
        names.update(schema.get("properties", {}))
        patterns.update(schema.get("patternProperties", {}))
        is_open = schema.get("additionalProperties", False) is not False
        parts = [(sub, base) for keyword in _COMPOSITIONS for sub in schema.get(keyword, [])]
        ref = schema.get("$ref")
        if ref and ref not in seen:
            parts.append(resolve(ref, base))
            seen = seen | {ref}
        for sub, sub_base in parts:
            more = declared(sub, sub_base, seen)
            names |= more[0]
            patterns |= more[1]
            is_open = is_open or more[2]
        return names, patterns, is_open

    def close(schema: Any, base: str, payload: bool = False) -> Any:
        walk(schema, base)
        names, patterns, is_open = declared(schema, base, frozenset())
        if payload and not (is_open or names or patterns):      # e.g. StartDispenseEvent
            return {"allOf": [schema], "propertyNames": False}
        if is_open or not (names or patterns):
            return schema
        keys = [{"pattern": pattern} for pattern in sorted(patterns)]
        if names:
            keys.insert(0, {"enum": sorted(names)})
        return {"allOf": [schema], "propertyNames": keys[0] if len(keys) == 1 else {
            "anyOf": keys}}

    def walk(schema: Any, base: str) -> None:
        if not isinstance(schema, dict):
            return
        for keyword in _VALUE_MAPS:
            for key, sub in schema.get(keyword, {}).items():
                schema[keyword][key] = close(sub, base)
        for keyword in _VALUE_SCHEMAS:
            if isinstance(schema.get(keyword), dict):
                schema[keyword] = close(schema[keyword], base)
        for keyword in _COMPOSITIONS:
            for sub in schema.get(keyword, []):
                walk(sub, base)

    for rule in document["allOf"]:            # not the `if`s: they must match open headers
        then = rule["then"]["properties"]
        then["payload"] = close(then["payload"], "", payload=True)
    for versions in (v for k, v in defs["messages"].items() if k != "$id"):
        for schema in versions.values():
            walk(schema, "/messages")
    for schema in defs["schemas"]["2021-01"].values():
        walk(schema, "/schemas")
    return document


# -- reporting ---------------------------------------------------------------------------------

def _problem(error: ValidationError) -> Problem:
    where = error.json_path.removeprefix("$.").removeprefix("$") or "message"
    if "propertyNames" in error.absolute_schema_path:
        text = f"key {error.instance!r} is not declared"
        if error.validator in ("enum", "pattern"):
            text += f" ({error.message})"
        return Problem(where, "unknown_key", text)
    if error.validator == "additionalProperties":
        return Problem(where, "unknown_key", error.message)
    text = error.message
    if error.context:
        text += f" ({best_match(error.context).message})"
    return Problem(where, str(error.validator), text)


def _line_problems(line: Any, dialect: str) -> list[Problem]:
    if not isinstance(line, Mapping) or set(line) != {"direction", "message"}:
        return [Problem("line", "bad_line",
                        f"not {{'direction': ..., 'message': ...}}: {line!r:.120}")]
    if line["direction"] not in DIRECTIONS:
        return [Problem("line", "bad_line", f"direction {line['direction']!r} is not one of "
                                            f"{', '.join(DIRECTIONS)}")]
    return message_problems(line["message"], dialect)


def _direction(line: Any) -> str:
    return str(line.get("direction")) if isinstance(line, Mapping) else "?"


def _message(line: Any) -> Any:
    return line.get("message") if isinstance(line, Mapping) else None


def _header(message: Any) -> Mapping[str, Any]:
    header = message.get("header") if isinstance(message, Mapping) else None
    return header if isinstance(header, Mapping) else {}


def _report(message: Any, dialect: str, problems: list[Problem]) -> str:
    header = _header(message)
    where = (f"{dialect} {header.get('type')} {header.get('name')} v{header.get('version')}"
             + (f" requestId {header['requestId']}" if "requestId" in header else ""))
    return (f"{where}: {len(problems)} problem(s)\n"
            + "\n".join(f"  - {problem}" for problem in problems))
