"""GET /api/v1/terminals: the terminals a key may see, by region, paged, with warnings."""

from __future__ import annotations

import pytest

from kiosk_service.terminal_files import parse_terminal
from kiosk_service.terminal_toml import terminal_mapping
from tests.service.conftest import import_fleet


def test_staff_and_admin_page_through_a_region(make_app, new_key, caller, clock):
    app = make_app()
    import_fleet(app, clock, 12)
    admin = caller(app.test_client(), new_key(app, "admin", None))
    first = admin.get("/api/v1/terminals?region=praha&page_size=5").get_json()
    assert first["total"] == 8 and first["page"] == 1
    assert [t["id"] for t in first["items"]] == ["atm-01", "atm-02", "atm-04", "atm-05",
                                                 "atm-07"]
    second = admin.get("/api/v1/terminals?region=praha&page_size=5&page=2").get_json()
    assert [t["id"] for t in second["items"]] == ["atm-08", "atm-10", "atm-11"]
    low = next(t for t in first["items"] if t["id"] == "atm-04")
    assert low["region"] == "praha" and low["cassettes"][0]["fill"] == "low"
    assert [(w["cassette"], w["code"]) for w in low["warnings"]] == [("A", "low")]
    everyone = admin.get("/api/v1/terminals?page_size=500").get_json()
    assert everyone["total"] == 14          # the two shipped terminals too
    staff = caller(app.test_client(), new_key(app, "staff", None))
    assert staff.get("/api/v1/terminals?region=brno").get_json()["total"] == 4


@pytest.mark.parametrize("role", ["kiosk", "staff"])
def test_a_terminal_bound_key_sees_only_its_terminal(make_app, new_key, caller, clock, role):
    app = make_app()
    import_fleet(app, clock, 3)
    bound = caller(app.test_client(), new_key(app, role, "atm-01"))
    body = bound.get("/api/v1/terminals").get_json()
    assert body["total"] == 1 and [t["id"] for t in body["items"]] == ["atm-01"]
    assert bound.get("/api/v1/terminals?region=brno").get_json()["total"] == 0


def test_the_list_needs_a_key_and_checks_its_query(make_app, new_key, caller):
    app = make_app()
    assert app.test_client().get("/api/v1/terminals").status_code == 401
    admin = caller(app.test_client(), new_key(app, "admin", None))
    bad = admin.get("/api/v1/terminals?page=0&page_size=501")
    assert bad.status_code == 422 and set(bad.get_json()["errors"]["query"]) == {"page",
                                                                                  "page_size"}


def test_region_is_stored_shown_and_exported(make_app, new_key, caller, clock):
    app = make_app()
    import_fleet(app, clock, 1)
    admin = caller(app.test_client(), new_key(app, "admin", None))
    assert admin.get("/api/v1/terminals/atm-00").get_json()["region"] == "brno"
    with app.extensions["cashmix"].unit_of_work() as uow:
        terminal = uow.terminals.get("atm-00")
    assert terminal_mapping(terminal)["region"] == "brno"
    assert parse_terminal(terminal_mapping(terminal)) == terminal
