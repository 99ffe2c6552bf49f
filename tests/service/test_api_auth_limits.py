"""Failed authentication: limited per key id and per client address across processes, 429
with Retry-After, journalled without the presented secret, documented in OpenAPI."""

from __future__ import annotations

import pytest

from kiosk_service.services.keys import key_id_of, revoke_key
from tests.service.conftest import Console, token

DEMO = "demo-czk"
STATUS = f"/api/v1/terminals/{DEMO}"
LIMITS = {"AUTH_FAILURES_PER_KEY": 3, "AUTH_FAILURES_PER_ADDRESS": 5,
          "AUTH_FAILURE_WINDOW_SECONDS": 60}


def get(client, key: str | None, address: str = "10.0.0.1"):
    headers = {"Authorization": f"Bearer {key}"} if key else {}
    return client.get(STATUS, headers=headers, environ_base={"REMOTE_ADDR": address})


def wrong(key: str) -> str:
    return f"cmx_{key_id_of(key)}_not-the-secret"


def service_journal(app, kinds: list[str]) -> list:
    with app.extensions["cashmix"].unit_of_work() as uow:
        return uow.journal.page("*", kinds=kinds)[0]


@pytest.fixture
def limited(make_app):
    return make_app(**LIMITS)


@pytest.fixture
def limited_keys(limited, keys):
    return keys


def test_wrong_secrets_for_one_key_id_block_that_id_until_the_window_ends(limited, limited_keys,
                                                                         clock):
    client, kiosk = limited.test_client(), limited_keys["kiosk"]
    statuses = [get(client, wrong(kiosk), f"10.0.0.{n}").status_code for n in range(4)]
    assert statuses == [401, 401, 401, 429]
    refused = get(client, kiosk, "10.0.0.9")        # the right secret, from elsewhere: refused
    assert refused.status_code == 429
    assert refused.get_json()["code"] == "too_many_requests"
    assert refused.headers["Retry-After"] == "60"
    assert refused.get_json()["errors"]["retry_after"] == 60
    assert get(client, limited_keys["staff"], "10.0.0.9").status_code == 200  # other keys work
    clock.advance(30)
    assert get(client, kiosk).headers["Retry-After"] == "30"
    clock.advance(30)
    assert get(client, kiosk).status_code == 200


def test_failures_from_one_address_block_that_address_only(limited, limited_keys):
    client = limited.test_client()
    for n in range(5):       # unknown ids, malformed keys, wrong secrets: all count
        bad = [f"cmx_{n:012x}_guess", "not-a-key", wrong(limited_keys["admin"])][n % 3]
        assert get(client, bad, "192.0.2.7").status_code == 401
    assert get(client, limited_keys["kiosk"], "192.0.2.7").status_code == 429
    assert get(client, limited_keys["kiosk"], "192.0.2.8").status_code == 200


def test_a_missing_key_is_refused_but_not_counted(limited, limited_keys):
    client = limited.test_client()
    assert {get(client, None).status_code for _ in range(10)} == {401}
    assert get(client, limited_keys["kiosk"]).status_code == 200


def test_the_limits_are_shared_by_every_process(make_app, keys):
    first, second = make_app(**LIMITS), make_app(**LIMITS)
    kiosk = keys["kiosk"]
    assert get(first.test_client(), wrong(kiosk), "10.1.0.1").status_code == 401
    assert get(second.test_client(), wrong(kiosk), "10.1.0.2").status_code == 401
    assert get(first.test_client(), wrong(kiosk), "10.1.0.3").status_code == 401
    assert get(second.test_client(), kiosk, "10.1.0.4").status_code == 429


def test_failures_are_journalled_without_the_secret(limited, limited_keys):
    client, kiosk = limited.test_client(), limited_keys["kiosk"]
    for _ in range(3):
        get(client, wrong(kiosk), "198.51.100.4")
    failed = service_journal(limited, ["authentication_failed"])
    assert [(e.subject, e.actor, e.details["problem"]) for e in failed] == [
        (key_id_of(kiosk), "address:198.51.100.4", "wrong_secret")] * 3
    limited_entries = service_journal(limited, ["authentication_limited"])
    assert [(e.subject, e.details["limit"]) for e in limited_entries] == [
        (key_id_of(kiosk), "key")]
    for entry in failed + limited_entries:
        assert "not-the-secret" not in repr(entry)


def test_a_revoked_key_in_use_is_journalled_on_its_terminal(limited, limited_keys, clock, staff):
    kiosk = limited_keys["kiosk"]
    revoke_key(kiosk, uow=limited.extensions["cashmix"].unit_of_work(), clock=clock)
    assert get(limited.test_client(), kiosk).status_code == 401
    entries = staff.get("/journal?kind=authentication_failed").get_json()["items"]
    assert [(e["subject"], e["details"]["problem"]) for e in entries] == [
        (key_id_of(kiosk), "revoked")]


def test_console_sign_in_is_limited_too(limited, limited_keys):
    console = Console(limited.test_client())
    for _ in range(3):
        assert console.sign_in(wrong(limited_keys["staff"])).status_code == 401
    page = console.client.get("/console/sign-in")
    refused = console.client.post("/console/sign-in", data={
        "key": limited_keys["staff"], "csrf_token": token(page)})
    assert refused.status_code == 429 and refused.headers["Retry-After"] == "60"


def test_openapi_documents_429_with_retry_after_on_every_keyed_operation(client):
    spec = client.get("/api/v1/openapi.json").get_json()
    operations = [op for path in spec["paths"].values() for op in path.values()
                  if isinstance(op, dict) and "responses" in op and "401" in op["responses"]]
    assert operations
    for operation in operations:
        response = operation["responses"]["429"]
        assert "too_many_requests" in response["description"]
        assert "Retry-After" in response["headers"]
