"""Authorization by API key: every endpoint x role; no key 401, wrong role or terminal 403.

The matrix shares one app and database (module scope): building one per case cost more than
running the cases. A case that changes state changes nothing another case checks: allowed
roles are checked to get past authorization, with the operation's own answer.
"""

import pytest
from sqlalchemy import text

from kiosk_service.hardware import ManualClock
from kiosk_service.persistence.migrate import upgrade_database
from kiosk_service.records import Role
from kiosk_service.services.keys import create_key
from kiosk_service.services.terminals import import_terminal
from kiosk_service.terminal_files import load_terminal_file
from tests.service.conftest import (
    DEMO,
    POSTGRES_URL,
    TERMINALS,
    Caller,
    build_app,
    reset_postgres,
)

QUOTE = {"amount": {"value": 10000, "currency": "CZK"}}
REPLENISH = {"count": 100, "reason": "role test"}
ADJUST = {"count": 100, "reason": "role test"}

#: (method, path, body, roles allowed)
ENDPOINTS = [
    ("get", "", None, {"kiosk", "staff", "admin"}),
    ("get", "/dispensable", None, {"kiosk", "staff", "admin"}),
    ("post", "/quotes", QUOTE, {"kiosk"}),
    ("get", "/quotes/{qid}", None, {"kiosk", "staff", "admin"}),
    ("post", "/dispenses", {"quote_id": "{qid}"}, {"kiosk"}),
    ("get", "/dispenses/{did}", None, {"kiosk", "staff", "admin"}),
    ("post", "/dispenses/{did}/retract", None, {"kiosk"}),
    ("get", "/cassettes", None, {"staff", "admin"}),
    ("get", "/cassettes/A", None, {"staff", "admin"}),
    ("put", "/cassettes/A", REPLENISH, {"staff", "admin"}),
    ("patch", "/cassettes/A", ADJUST, {"staff", "admin"}),
    ("get", "/journal", None, {"staff", "admin"}),
]
ROLES = ["kiosk", "staff", "admin", "other_kiosk", "other_staff", "bad_key", None]
#: What an allowed caller gets, by (method, path): the success status and a key of its body.
#: A dispense without an Idempotency-Key is 400; retracting a finished dispense is 409.
SUCCESS = {("post", "/quotes"): (201, "id"), ("post", "/dispenses"): (400, "code"),
           ("post", "/dispenses/{did}/retract"): (409, "code"),
           ("put", "/cassettes/A"): (200, "id"), ("patch", "/cassettes/A"): (200, "id"),
           ("get", "/journal"): (200, "items"), ("get", "/dispensable"): (200, "currency"),
           ("get", "/cassettes"): (200, None)}


@pytest.fixture(scope="module")
def shared(tmp_path_factory):
    """One app, its keys and a dispensed quote, for the whole module."""
    clock = ManualClock()
    url = POSTGRES_URL or f"sqlite:///{tmp_path_factory.mktemp('roles') / 'cashmix.sqlite'}"
    if POSTGRES_URL:
        reset_postgres(url)
    app = build_app(url, clock, "sim://?seed=1&pace=0")
    deps = app.extensions["cashmix"]
    upgrade_database(deps.engine)
    for name in ("demo-czk.toml", "vienna-eur.toml"):
        import_terminal(load_terminal_file(TERMINALS / name), uow=deps.unit_of_work(),
                        clock=clock)
    keys = {name: create_key(role, terminal, uow=deps.unit_of_work(), clock=clock)
            for name, role, terminal in (
                ("kiosk", Role.KIOSK, DEMO), ("staff", Role.STAFF, DEMO),
                ("admin", Role.ADMIN, None), ("other_kiosk", Role.KIOSK, "vienna-eur"),
                ("other_staff", Role.STAFF, "vienna-eur"))}
    client = app.test_client()
    kiosk = Caller(client, keys["kiosk"])
    quote = kiosk.quote(350000).get_json()
    dispense = kiosk.dispense(quote, key="roles").get_json()
    yield app, client, keys, {"qid": quote["id"], "did": dispense["id"]}, clock
    deps.close()


@pytest.fixture(autouse=True)
def fresh_window(shared):
    """Each case starts a new window of the failed-authentication limit (the matrix is not a
    brute-force attempt; the limit has its own tests)."""
    shared[-1].advance(3600)


@pytest.mark.parametrize("role", ROLES, ids=str)
@pytest.mark.parametrize(("method", "path", "body", "allowed"), ENDPOINTS,
                         ids=[f"{m} {p or '/'}" for m, p, _, _ in ENDPOINTS])
def test_every_endpoint_by_role(shared, role, method, path, body, allowed):
    _, client, keys, ids, _ = shared
    key = {"bad_key": "cmx_000000000000_nope", None: None}.get(role, keys.get(role))
    url = "/api/v1/terminals/demo-czk" + path.format(**ids)
    if isinstance(body, dict):
        body = {k: v.format(**ids) if isinstance(v, str) else v for k, v in body.items()}
    headers = {"Authorization": f"Bearer {key}"} if key else {}
    response = getattr(client, method)(url, json=body, headers=headers)
    if role in (None, "bad_key"):
        assert response.status_code == 401
        assert response.get_json()["code"] == "unauthenticated"
    elif role in allowed:
        status, field = SUCCESS.get((method, path), (200, "id"))
        assert response.status_code == status, response.get_json()
        assert field is None or field in response.get_json(), response.get_json()
    else:
        assert response.status_code == 403
        assert response.get_json()["code"] == "forbidden"


def test_keys_are_stored_hashed(shared):
    app, _, keys, _, _ = shared
    deps = app.extensions["cashmix"]
    with deps.engine.connect() as connection:
        stored = " ".join(str(v) for row in connection.execute(text("SELECT * FROM api_keys"))
                          for v in row)
    assert all(key.split("_", 2)[2] not in stored for key in keys.values())


def test_an_admin_key_covers_every_terminal(shared):
    _, client, keys, _, _ = shared
    response = client.get("/api/v1/terminals/vienna-eur/cassettes",
                          headers={"Authorization": f"Bearer {keys['admin']}"})
    assert response.status_code == 200
    assert {c["currency"] for c in response.get_json()} == {"EUR"}


def test_an_unknown_terminal_is_not_found_for_an_admin(shared):
    _, client, keys, _, _ = shared
    response = client.get("/api/v1/terminals/nowhere",
                          headers={"Authorization": f"Bearer {keys['admin']}"})
    assert response.status_code == 404 and response.get_json()["code"] == "not_found"
