"""The currency catalogue, money conversion, and the domain's independence from frameworks."""

from __future__ import annotations

import subprocess
import sys

import pytest

from denomination import Catalogue, CatalogueError, InvalidAmount, default_catalogue, minor_units
from denomination.catalogue import load_catalogue
from denomination.money import face_value


def test_shipped_catalogue_has_the_required_currencies():
    catalogue = default_catalogue()
    assert {"CZK", "EUR", "GBP", "USD", "PLN", "CHF", "HUF"} <= set(catalogue.currencies)
    czk = catalogue.currency("CZK")
    assert czk.exponent == 2
    assert czk.notes == (10000, 20000, 50000, 100000, 200000, 500000)
    assert czk.format(200000) == "CZK\u00a02,000"


@pytest.mark.parametrize(("value", "code", "shown"), [
    (200000, "CZK", "CZK\u00a02,000"), (134600000, "CZK", "CZK\u00a01,346,000"),
    (1250, "EUR", "EUR\u00a012.50"), (50, "CZK", "CZK\u00a00.50"),
    (-200000, "CZK", "-CZK\u00a02,000"),
])
def test_the_plain_form_groups_digits_and_shows_decimals_only_for_a_fraction(value, code, shown):
    assert default_catalogue().currency(code).format(value) == shown


def test_invalid_catalogue_lists_every_problem(tmp_path):
    path = tmp_path / "bad.toml"
    path.write_text('[czk]\nexponent = 2\nnotes = [100]\n'
                    '[EUR]\nexponent = 9\nnotes = []\ncolour = "blue"\n'
                    '[GBP]\nexponent = 2\nnotes = [5, 5, "0.001"]\n')
    with pytest.raises(CatalogueError) as caught:
        load_catalogue(path)
    assert set(caught.value.errors) == {"czk", "EUR", "GBP"}
    assert len(caught.value.errors["EUR"]) == 3


def test_unreadable_catalogue(tmp_path):
    with pytest.raises(CatalogueError) as caught:
        load_catalogue(tmp_path / "missing.toml")
    assert caught.value.code == "invalid_catalogue"


@pytest.mark.parametrize(("face", "exponent", "minor"), [
    (2000, 2, 200000), ("0.50", 2, 50), ("12.5", 2, 1250), (500, 0, 500), ("1.005", 3, 1005)])
def test_minor_units_are_exact(face, exponent, minor):
    assert minor_units(face, exponent) == minor
    assert face_value(minor, exponent) == face_value(minor_units(face, exponent), exponent)


@pytest.mark.parametrize("face", ["0.001", 12.5, "abc", True, "inf"])
def test_minor_units_refuses_what_it_cannot_represent(face):
    with pytest.raises(InvalidAmount) as caught:
        minor_units(face, 2)
    assert caught.value.code == "invalid_amount"


def test_catalogue_from_mapping():
    catalogue = Catalogue.from_mapping({"JPY": {"name": "Yen", "exponent": 0,
                                                "notes": [10000, 1000, 5000]}})
    assert catalogue.currency("JPY").notes == (1000, 5000, 10000)


FORBIDDEN = {"flask", "flask_smorest", "marshmallow", "sqlalchemy", "kiosk_service", "sim"}
PROBE = """import importlib, pkgutil, sys, denomination as d
for m in pkgutil.walk_packages(d.__path__, "denomination."): importlib.import_module(m.name)
print(*sys.modules)"""


def test_domain_loads_no_framework_even_indirectly():
    run = subprocess.run([sys.executable, "-c", PROBE], capture_output=True, text=True,
                         check=True)
    assert {name.split(".")[0] for name in run.stdout.split()} & FORBIDDEN == set()


def test_demo_prints_quotes():
    run = subprocess.run([sys.executable, "-m", "denomination.demo"], capture_output=True,
                         text=True, check=True)
    assert "10 x CZK\u00a0200" in run.stdout and "not dispensable" in run.stdout


def test_a_face_value_is_a_note_of_the_currency_or_a_named_error():
    czk = default_catalogue().currency("CZK")
    assert czk.note_of("2000") == czk.note_of(2000) == 200000
    for face in ("150", "abc", "0.001", 300):
        with pytest.raises(InvalidAmount) as caught:
            czk.note_of(face)
        assert caught.value.code == "invalid_amount"
    with pytest.raises(InvalidAmount) as caught:
        czk.note_of("150")
    assert "100, 200, 500, 1000, 2000, 5000" in caught.value.message
