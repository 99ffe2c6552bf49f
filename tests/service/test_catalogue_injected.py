"""The service builds its currency catalogue once (CURRENCIES, else the shipped one) and plans
with it: the domain is handed the catalogue, it does not look one up."""

from __future__ import annotations

from pathlib import Path

from denomination.catalogue import default_catalogue

CATALOGUE = Path(__file__).resolve().parents[2] / "config" / "currencies.toml"


def test_the_catalogue_is_built_once_from_the_setting(make_app, caller, new_key):
    app = make_app(CURRENCIES=str(CATALOGUE))
    deps = app.extensions["cashmix"]
    assert deps.catalogue is not default_catalogue()
    assert deps.catalogue.currency("CZK") == default_catalogue().currency("CZK")
    kiosk = caller(app.test_client(), new_key(app, "kiosk"))
    assert kiosk.quote(200000).status_code == 201


def test_without_the_setting_the_shipped_catalogue_is_used(app):
    assert app.extensions["cashmix"].catalogue is default_catalogue()
