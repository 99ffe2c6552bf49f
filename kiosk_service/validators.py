"""Field validators shared by the HTTP schemas and the terminal files."""

from __future__ import annotations

from marshmallow import ValidationError, validate


class WholeMatch(validate.Regexp):
    """A pattern the whole value must match. marshmallow's Regexp uses `re.match`, whose `$`
    also matches before a trailing newline, so "CZK\\n" passed `^[A-Z]{3}$`; this one uses
    `re.fullmatch`. It stays a Regexp, so the OpenAPI document keeps the pattern."""

    def __call__(self, value):
        if self.regex.fullmatch(value) is None:
            raise ValidationError(self._format_error(value))
        return value
