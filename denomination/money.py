"""Money as integer minor units: conversion from and to printed face values."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from denomination.errors import InvalidAmount


@dataclass(frozen=True, slots=True)
class Amount:
    """An amount of money: `value` in the currency's minor units (200000 CZK = 2000.00 CZK)."""

    value: int
    currency: str


def minor_units(face_value: int | str, exponent: int) -> int:
    """Convert a printed face value ("2000", "0.50") to minor units, exactly.

    Raises InvalidAmount (`invalid_amount`) when the value is not a number or has more decimals
    than the currency allows.
    """
    if isinstance(face_value, (bool, float)):
        raise InvalidAmount(f"{face_value!r} must be written as an integer or a decimal string")
    try:
        scaled = Decimal(str(face_value)).scaleb(exponent)
    except InvalidOperation as error:
        raise InvalidAmount(f"{face_value!r} is not a number") from error
    if not scaled.is_finite() or scaled != scaled.to_integral_value():
        raise InvalidAmount(f"{face_value} has more decimals than the currency allows")
    return int(scaled)


def face_value(value: int, exponent: int) -> Decimal:
    """Return the printed face value of `value` minor units (200000, 2 -> Decimal('2000'))."""
    shown = Decimal(value).scaleb(-exponent)
    return Decimal(int(shown)) if shown == shown.to_integral_value() else shown.normalize()


def format_amount(value: int, currency: str, exponent: int) -> str:
    """Return `value` minor units in plain English, 'CZK 2,000' or 'EUR 12.50', for messages.

    The ISO code, a no-break space, comma groups, and the exponent's decimals only when the
    amount has a fraction: what `kiosk_service.formatting.format_money` gives in locale "en"
    for every currency whose English symbol is its code (the domain loads no locale data, so
    it writes EUR where Babel writes €).
    """
    shown = Decimal(value).scaleb(-exponent)
    sign, shown = ("-" if shown < 0 else ""), abs(shown)
    number = f"{int(shown):,}" if shown == shown.to_integral_value() else f"{shown:,.{exponent}f}"
    return f"{sign}{currency}\u00a0{number}"
