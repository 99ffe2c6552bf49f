"""Money for people: amounts in minor units shown the locale's way, with Babel.

Framework-free (Babel and `denomination` only), so the simulator, the traffic report and the CLIs
use the same wording as the service's messages.
"""

from __future__ import annotations

import unicodedata
from decimal import Decimal
from functools import lru_cache

from babel import Locale
from babel.numbers import NumberPattern, get_currency_symbol, parse_pattern

from denomination.catalogue import Currency, default_catalogue

NO_BREAK_SPACE = "\u00a0"


def format_money(amount: int, currency: Currency | str, locale: str = "en") -> str:
    """Return `amount` minor units of `currency` as a person reads it in `locale`.

    `currency` is a catalogue `Currency` or its ISO code (looked up in the default catalogue;
    raises UnknownCurrency, `unknown_currency`, for a code it does not know). The digits follow
    the catalogue's exponent, not Babel's idea of the currency: a whole amount shows no decimals
    and any other shows all of the exponent's (as the kiosk page's `Intl.NumberFormat` does), so
    one screen never mixes "CZK 2,000" and "CZK 2,000.00":

    >>> format_money(200000, "CZK")
    'CZK\\xa02,000'
    >>> format_money(1250, "EUR", "cs")
    '12,50\\xa0€'

    Grouping, the symbol and its place are the locale's (CLDR); a letter symbol next to a digit
    gets a no-break space (CLDR currency spacing, which Babel leaves out), so a line never breaks
    between "CZK" and its number.
    """
    if isinstance(currency, str):
        currency = default_catalogue().currency(currency)
    value = Decimal(amount).scaleb(-currency.exponent)
    digits = 0 if value == value.to_integral_value() else currency.exponent
    shown = _pattern(locale, digits).apply(value, _locale(locale), currency=currency.code,
                                          currency_digits=False)
    return _space_symbol(shown, get_currency_symbol(currency.code, _locale(locale)))


@lru_cache(maxsize=64)
def _locale(name: str) -> Locale:
    return Locale.parse(name.replace("-", "_"))


@lru_cache(maxsize=64)
def _pattern(locale: str, digits: int) -> NumberPattern:
    """The locale's standard currency pattern with exactly `digits` fraction digits."""
    standard = _locale(locale).currency_formats["standard"]
    pattern = parse_pattern(standard.pattern)
    pattern.frac_prec = (digits, digits)
    return pattern


def _space_symbol(shown: str, symbol: str) -> str:
    at = shown.find(symbol)
    if at < 0 or not symbol:
        return shown
    end = at + len(symbol)
    if end < len(shown) and shown[end].isdigit() and _is_letter_like(symbol[-1]):
        shown = shown[:end] + NO_BREAK_SPACE + shown[end:]
    if at > 0 and shown[at - 1].isdigit() and _is_letter_like(symbol[0]):
        shown = shown[:at] + NO_BREAK_SPACE + shown[at:]
    return shown


def _is_letter_like(char: str) -> bool:
    """CLDR's currencyMatch `[[:^S:]&[:^Z:]]`: neither a symbol (like €) nor a space."""
    return not unicodedata.category(char).startswith(("S", "Z"))
