"""Authorization by API key: every endpoint x role; no key 401, wrong role or terminal 403."""

import pytest

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


@pytest.fixture
def ids(kiosk):
    quote = kiosk.quote(350000).get_json()
    dispense = kiosk.dispense(quote, key="roles").get_json()
    return {"qid": quote["id"], "did": dispense["id"]}


@pytest.mark.parametrize("role", ROLES, ids=str)
@pytest.mark.parametrize(("method", "path", "body", "allowed"), ENDPOINTS,
                         ids=[f"{m} {p or '/'}" for m, p, _, _ in ENDPOINTS])
def test_every_endpoint_by_role(client, keys, ids, role, method, path, body, allowed):
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
        assert response.status_code not in (401, 403), response.get_json()
    else:
        assert response.status_code == 403
        assert response.get_json()["code"] == "forbidden"


def test_keys_are_stored_hashed(app, keys):
    from sqlalchemy import text

    deps = app.extensions["cashmix"]
    with deps.engine.connect() as connection:
        stored = " ".join(str(v) for row in connection.execute(text("SELECT * FROM api_keys"))
                          for v in row)
    assert all(key.split("_", 2)[2] not in stored for key in keys.values())


def test_an_admin_key_covers_every_terminal(client, keys):
    response = client.get("/api/v1/terminals/vienna-eur/cassettes",
                          headers={"Authorization": f"Bearer {keys['admin']}"})
    assert response.status_code == 200


def test_an_unknown_terminal_is_not_found_for_an_admin(client, keys):
    response = client.get("/api/v1/terminals/nowhere",
                          headers={"Authorization": f"Bearer {keys['admin']}"})
    assert response.status_code == 404 and response.get_json()["code"] == "not_found"
