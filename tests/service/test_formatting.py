"""format_money: minor units shown the locale's way, at the catalogue's exponent."""

from __future__ import annotations

import pytest

from denomination.catalogue import default_catalogue
from denomination.errors import UnknownCurrency
from kiosk_service.formatting import format_money

NBSP = "\u00a0"


@pytest.mark.parametrize(("amount", "currency", "locale", "shown"), [
    (200000, "CZK", "en", f"CZK{NBSP}2,000"),                 # whole units: no decimals
    (200050, "CZK", "en", f"CZK{NBSP}2,000.50"),              # otherwise the exponent's digits
    (50, "CZK", "en", f"CZK{NBSP}0.50"),
    (134600000, "CZK", "en", f"CZK{NBSP}1,346,000"),
    (200000, "CZK", "cs", f"2{NBSP}000{NBSP}Kč"),
    (200000, "CZK", "cs-CZ", f"2{NBSP}000{NBSP}Kč"),           # BCP 47 tags as the page sends them
    (1250, "EUR", "en", "€12.50"),                            # a symbol sign takes no space
    (1250, "EUR", "cs", f"12,50{NBSP}€"),
    (-200000, "CZK", "en", f"-CZK{NBSP}2,000"),
])
def test_format_money_in_locale(amount, currency, locale, shown):
    assert format_money(amount, currency, locale) == shown


def test_format_money_takes_a_currency_object():
    gbp = default_catalogue().currency("GBP")
    assert format_money(10000, gbp) == format_money(10000, "GBP") == "£100"


def test_format_money_refuses_an_unknown_currency():
    with pytest.raises(UnknownCurrency) as caught:
        format_money(100, "XXX")
    assert caught.value.code == "unknown_currency"


@pytest.mark.parametrize("code", sorted(default_catalogue().currencies))
def test_the_domains_plain_form_is_the_english_form_where_english_writes_the_code(code):
    from babel.numbers import get_currency_symbol

    currency = default_catalogue().currency(code)
    for amount in (currency.notes[0], 134600000, 1250):
        if get_currency_symbol(code, "en") == code:
            assert currency.format(amount) == format_money(amount, currency, "en")
        else:                                   # €, £, $: the domain writes the code
            assert currency.format(amount).startswith(code)
