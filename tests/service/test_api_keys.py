"""API keys: revoked in one process, refused by every other at once; expiry; rotation; the
journal of each change; and the same through `kiosk-service keys`."""

from __future__ import annotations

from datetime import timedelta

import pytest
from click.testing import CliRunner

from denomination.errors import InvalidRequest
from kiosk_service.cli import main
from kiosk_service.errors import InvalidState
from kiosk_service.records import Role
from kiosk_service.services.keys import create_key, key_id_of, revoke_key, rotate_key
from tests.service.conftest import Console

DEMO = "demo-czk"
STATUS = f"/api/v1/terminals/{DEMO}"


def bearer(key: str) -> dict:
    return {"Authorization": f"Bearer {key}"}


def deps_of(app):
    return app.extensions["cashmix"]


def journal(staff, kind: str) -> list[dict]:
    return staff.get(f"/journal?kind={kind}").get_json()["items"]


def test_a_key_revoked_in_one_app_is_refused_by_another_at_once(make_app, keys, clock):
    first, second = make_app(), make_app()          # two processes on one database
    one, two = first.test_client(), second.test_client()
    kiosk = keys["kiosk"]
    assert one.get(STATUS, headers=bearer(kiosk)).status_code == 200
    assert two.get(STATUS, headers=bearer(kiosk)).status_code == 200

    revoke_key(kiosk, uow=deps_of(first).unit_of_work(), clock=clock, reason="stolen")

    refused = two.get(STATUS, headers=bearer(kiosk))
    assert refused.status_code == 401
    assert refused.get_json()["code"] == "unauthenticated"
    assert refused.get_json()["errors"]["problem"] == "revoked"
    assert one.get(STATUS, headers=bearer(kiosk)).status_code == 401


def test_a_key_revoked_with_the_cli_is_refused_by_a_running_app(app, keys, database_url,
                                                                monkeypatch):
    client = app.test_client()
    assert client.get(STATUS, headers=bearer(keys["staff"])).status_code == 200
    monkeypatch.setenv("DATABASE_URL", database_url)
    result = CliRunner().invoke(main, ["keys", "revoke", key_id_of(keys["staff"]),
                                       "--reason", "left the bank"], catch_exceptions=False)
    assert result.exit_code == 0 and f"revoked cmx_{key_id_of(keys['staff'])}" in result.output
    assert client.get(STATUS, headers=bearer(keys["staff"])).status_code == 401


def test_a_key_stops_working_when_it_expires(app, clock):
    key = create_key(Role.STAFF, DEMO, uow=deps_of(app).unit_of_work(), clock=clock,
                     expires_at=clock.now() + timedelta(hours=1))
    client = app.test_client()
    assert client.get(STATUS, headers=bearer(key)).status_code == 200
    clock.advance(timedelta(hours=1))
    expired = client.get(STATUS, headers=bearer(key))
    assert expired.status_code == 401 and expired.get_json()["errors"]["problem"] == "expired"


def test_an_expiry_in_the_past_is_refused(app, clock):
    with pytest.raises(InvalidRequest) as caught:
        create_key(Role.STAFF, DEMO, uow=deps_of(app).unit_of_work(), clock=clock,
                   expires_at=clock.now())
    assert caught.value.code == "invalid_request"


def test_rotation_gives_a_new_key_with_the_same_grants_and_revokes_the_old(app, clock, staff):
    deps = deps_of(app)
    old = create_key(Role.KIOSK, DEMO, uow=deps.unit_of_work(), clock=clock, label="atm 7",
                     expires_at=clock.now() + timedelta(days=90))
    clock.advance(timedelta(days=30))
    new, replaced = rotate_key(old, uow=deps.unit_of_work(), clock=clock, reason="yearly")
    client = app.test_client()
    assert client.get(STATUS, headers=bearer(old)).status_code == 401
    assert client.get(STATUS, headers=bearer(new)).status_code == 200
    with deps.unit_of_work() as uow:
        stored = uow.keys.get(key_id_of(new))
    assert (stored.role, stored.terminal_id, stored.label) == (Role.KIOSK, DEMO, "atm 7")
    assert stored.expires_at == clock.now() + timedelta(days=90)   # the old key's lifetime
    rotated = journal(staff, "key_rotated")
    assert [(e["subject"], e["after"]["replaced_by"], e["reason"]) for e in rotated] == [
        (replaced.id, key_id_of(new), "yearly")]
    created = [e for e in journal(staff, "key_created") if e["subject"] == key_id_of(new)]
    assert created[0]["after"]["rotated_from"] == key_id_of(old)


def test_a_revoked_key_cannot_be_rotated_back_to_life(app, clock, keys):
    deps = deps_of(app)
    revoke_key(keys["kiosk"], uow=deps.unit_of_work(), clock=clock)
    with pytest.raises(InvalidState) as caught:
        rotate_key(keys["kiosk"], uow=deps.unit_of_work(), clock=clock)
    assert caught.value.code == "invalid_state"


def test_creation_and_revocation_are_journalled_once(app, clock, keys, staff):
    deps = deps_of(app)
    first = revoke_key(keys["kiosk"], uow=deps.unit_of_work(), clock=clock, actor="admin:x")
    again = revoke_key(keys["kiosk"], uow=deps.unit_of_work(), clock=clock, actor="admin:x")
    assert first[1] is True and again[1] is False
    revoked = journal(staff, "key_revoked")
    assert [(e["subject"], e["actor"], e["after"]["state"]) for e in revoked] == [
        (key_id_of(keys["kiosk"]), "admin:x", "revoked")]
    created = {e["subject"] for e in journal(staff, "key_created")}
    assert {key_id_of(keys["kiosk"]), key_id_of(keys["staff"])} <= created


def test_a_revoked_staff_key_signs_its_console_session_out(app, clock, keys):
    console = Console(app.test_client())
    assert console.sign_in(keys["staff"]).status_code == 302
    assert console.get(f"/console/terminals/{DEMO}").status_code == 200
    revoke_key(keys["staff"], uow=deps_of(app).unit_of_work(), clock=clock)
    page = console.get(f"/console/terminals/{DEMO}")
    assert page.status_code == 302 and "/console/sign-in" in page.location


@pytest.fixture
def cli(app, database_url, monkeypatch):
    """Run `kiosk-service` on the app's database (migrated, terminals imported)."""
    monkeypatch.setenv("DATABASE_URL", database_url)

    def run(*args: str):
        return CliRunner().invoke(main, list(args), catch_exceptions=False)
    return run


def test_keys_list_shows_every_key_and_no_secret(cli, keys):
    cli("keys", "revoke", keys["other_kiosk"])
    listing = cli("keys", "list")
    assert listing.exit_code == 0
    lines = listing.output.splitlines()
    assert lines[0].split() == ["KEY", "ROLE", "TERMINAL", "LABEL", "CREATED", "EXPIRES",
                                "STATE"]
    rows = {line.split()[0]: line.split() for line in lines[1:]}
    assert set(rows) == {f"cmx_{key_id_of(k)}" for k in keys.values()}
    assert rows[f"cmx_{key_id_of(keys['admin'])}"][1:3] == ["admin", "*"]
    assert rows[f"cmx_{key_id_of(keys['other_kiosk'])}"][-3] == "revoked"
    assert rows[f"cmx_{key_id_of(keys['kiosk'])}"][-1] == "active"
    for key in keys.values():
        assert key.split("_", 2)[2] not in listing.output


def test_keys_create_with_an_expiry_then_rotate_through_the_cli(cli, app):
    created = cli("keys", "create", "--role", "staff", "--terminal", DEMO, "--expires-in", "1h30m")
    key = created.stdout.strip()
    assert created.exit_code == 0 and key.startswith("cmx_") and "expires" in created.stderr
    client = app.test_client()
    assert client.get(STATUS, headers=bearer(key)).status_code == 200
    rotated = cli("keys", "rotate", f"cmx_{key_id_of(key)}", "--expires-at", "2099-01-01")
    new = rotated.stdout.strip()
    assert rotated.exit_code == 0 and new.startswith("cmx_") and new != key
    assert client.get(STATUS, headers=bearer(key)).status_code == 401
    assert client.get(STATUS, headers=bearer(new)).status_code == 200
    listing = cli("keys", "list").output
    assert f"cmx_{key_id_of(new)}" in listing and "2099-01-01 00:00Z" in listing


@pytest.mark.parametrize("option", [("--expires-in", "soon"), ("--expires-in", "0d"),
                                    ("--expires-at", "next tuesday")])
def test_keys_create_refuses_a_bad_expiry(cli, option):
    result = CliRunner().invoke(main, ["keys", "create", "--role", "admin", *option])
    assert result.exit_code == 2 and option[0] in result.output


def test_keys_create_refuses_an_expiry_in_the_past(cli):
    result = CliRunner().invoke(main, ["keys", "create", "--role", "admin",
                                       "--expires-at", "2001-01-01"])
    assert result.exit_code == 1 and "future" in result.output


def test_revoking_an_unknown_key_fails(cli):
    result = CliRunner().invoke(main, ["keys", "revoke", "cmx_0123456789ab"])
    assert result.exit_code == 1 and "no such key" in result.output
