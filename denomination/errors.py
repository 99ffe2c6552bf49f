"""Named domain errors, each with a stable machine code."""

from __future__ import annotations

from typing import Any, ClassVar


class CashmixError(Exception):
    """Base of every Cashmix error: a stable `code`, a human `message` and structured details."""

    code: ClassVar[str] = "cashmix_error"

    def __init__(self, message: str, **details: Any):
        super().__init__(message)
        self.message = message
        self.details = details


class InvalidRequest(CashmixError):
    """Bad input; `errors` maps each field to every problem found in it."""

    code = "invalid_request"

    def __init__(self, message: str, errors: dict[str, list[str]]):
        super().__init__(message, errors=errors)
        self.errors = errors


class InvalidAmount(InvalidRequest):
    """An amount that is not a positive whole number of minor units."""

    code = "invalid_amount"

    def __init__(self, message: str):
        super().__init__(message, errors={"amount": [message]})


class UnknownCurrency(InvalidRequest):
    """A currency code that is not in the catalogue."""

    code = "unknown_currency"

    def __init__(self, message: str):
        super().__init__(message, errors={"currency": [message]})


class CatalogueError(CashmixError):
    """The currency catalogue file is malformed; `errors` lists every problem."""

    code = "invalid_catalogue"

    def __init__(self, message: str, errors: dict[str, list[str]]):
        super().__init__(message, errors=errors)
        self.errors = errors


class NotDispensable(CashmixError):
    """No mix of the available notes pays the amount.

    `reasons` names the blocking rules; `nearest` holds the payable amounts nearest below and
    above (None where there is none).
    """

    code = "not_dispensable"

    def __init__(self, message: str, *, reasons: tuple = (), nearest: tuple[int | None, int | None]
                 = (None, None)):
        super().__init__(message, reasons=reasons, nearest=nearest)
        self.reasons = tuple(reasons)
        self.nearest = nearest


class OptimiserError(CashmixError):
    """CP-SAT stopped without an answer (time limit, model error): never read as 'no mix'."""

    code = "optimiser_error"
