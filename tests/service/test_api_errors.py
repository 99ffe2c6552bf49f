"""Errors that say what is wrong: a body that is not JSON, an unknown journal kind, a terminal
a key does not cover, a preview read back or dispensed."""

from __future__ import annotations

import json

import pytest

from kiosk_service.records import JOURNAL_KINDS

QUOTE = {"amount": {"value": 350000, "currency": "CZK"}}
CHANGE = {"count": 100, "reason": "recount"}

#: Every operation that takes a JSON body: (method, path, role, body).
JSON_BODIES = [
    ("post", "/quotes", "kiosk", QUOTE),
    ("post", "/dispenses", "kiosk", {"quote_id": "q"}),
    ("put", "/cassettes/A", "staff", CHANGE),
    ("patch", "/cassettes/A", "staff", CHANGE),
]


@pytest.mark.parametrize(("method", "path", "role", "body"), JSON_BODIES,
                         ids=[f"{m} {p}" for m, p, _, _ in JSON_BODIES])
@pytest.mark.parametrize("content_type", ["text/plain", "application/x-www-form-urlencoded",
                                          None])
def test_a_body_that_is_not_declared_json_is_415(client, keys, method, path, role, body,
                                                 content_type):
    headers = {"Authorization": f"Bearer {keys[role]}", "Idempotency-Key": "k"}
    if content_type:
        headers["Content-Type"] = content_type
    response = getattr(client, method)(f"/api/v1/terminals/demo-czk{path}",
                                       data=json.dumps(body), headers=headers)
    assert response.status_code == 415
    assert response.get_json() | {"message": ""} == {
        "code": "unsupported_media_type", "status": 415, "message": "", "errors": {
            "content_type": content_type}}


def test_json_with_a_charset_is_json(kiosk):
    response = kiosk.client.post("/api/v1/terminals/demo-czk/quotes", data=json.dumps(QUOTE),
                                 headers=kiosk.headers({"Content-Type":
                                                        "application/json; charset=utf-8"}))
    assert response.status_code == 201


def test_no_body_at_all_lists_the_missing_fields(kiosk):
    response = kiosk.client.post("/api/v1/terminals/demo-czk/quotes", headers=kiosk.headers())
    assert response.status_code == 422 and response.get_json()["code"] == "invalid_request"
    assert "amount" in response.get_json()["errors"]["json"]


def test_an_unknown_journal_kind_is_422_naming_every_kind(staff):
    response = staff.get("/journal?kind=bogus")
    assert response.status_code == 422
    body = response.get_json()
    assert body["code"] == "invalid_request" and "kind" in body["errors"]["query"]
    named = json.dumps(body["errors"]["query"]["kind"])
    assert all(kind in named for kind in JOURNAL_KINDS)


def test_every_journal_kind_the_service_writes_is_a_filter(kiosk, staff):
    staff.patch("/cassettes/A", CHANGE)
    kiosk.dispense(kiosk.quote(350000).get_json())
    written = {e["kind"] for e in staff.get("/journal?page_size=500").get_json()["items"]}
    assert written <= set(JOURNAL_KINDS)
    response = staff.get("/journal", query_string={"kind": list(JOURNAL_KINDS)})
    assert response.status_code == 200 and response.get_json()["total"] == len(
        staff.get("/journal?page_size=500").get_json()["items"])


#: (key, terminal id) -> status: a terminal-bound key gets 403 on every terminal not its own,
#: existing or not; only keys for every terminal learn that one does not exist (404).
TERMINAL_RULE = [
    ("kiosk", "vienna-eur", 403), ("kiosk", "nowhere", 403),
    ("other_staff", "demo-czk", 403), ("other_staff", "nowhere", 403),
    ("admin", "nowhere", 404), ("all_staff", "nowhere", 404),
    ("admin", "vienna-eur", 200), ("all_staff", "vienna-eur", 200),
]


@pytest.mark.parametrize(("role", "terminal", "status"), TERMINAL_RULE)
def test_one_rule_for_a_terminal_a_key_does_not_cover(app, client, keys, new_key, role,
                                                      terminal, status):
    key = new_key(app, "staff", None) if role == "all_staff" else keys[role]
    response = client.get(f"/api/v1/terminals/{terminal}",
                          headers={"Authorization": f"Bearer {key}"})
    assert response.status_code == status
    if status != 200:
        assert response.get_json()["code"] == {403: "forbidden", 404: "not_found"}[status]


def test_a_preview_read_back_or_dispensed_says_it_was_a_preview(kiosk, staff):
    preview = kiosk.quote(350000, hold=False).get_json()
    for response in (kiosk.get(f"/quotes/{preview['id']}"), kiosk.dispense(preview)):
        assert response.status_code == 409
        assert response.get_json()["code"] == "quote_is_preview"
    assert [e["kind"] for e in staff.get("/journal?page_size=500").get_json()["items"]
            if e["kind"].startswith("dispense")] == []


def test_the_openapi_document_says_all_of_it(client):
    spec = client.get("/api/v1/openapi.json").get_json()
    paths = spec["paths"]
    for method, path, _, _ in JSON_BODIES:
        template = "/api/v1/terminals/{tid}" + path.replace("/A", "/{cid}")
        assert "415" in paths[template][method]["responses"]
    for template, operations in paths.items():
        for method, operation in operations.items():
            if isinstance(operation, dict) and "responses" in operation \
                    and template.startswith("/api/v1/terminals/"):
                assert {"401", "403"} <= set(operation["responses"])
                # A quote is asked for by a kiosk key, bound to its terminal: another id is
                # 403, never 404, so 404 is not documented there (nothing can produce it).
                quoting = (method, template) == ("post", "/api/v1/terminals/{tid}/quotes")
                assert ("404" in operation["responses"]) != quoting, (method, template)
    assert "409" in paths["/api/v1/terminals/{tid}/quotes/{qid}"]["get"]["responses"]
    assert "409" in paths["/api/v1/terminals/{tid}/dispenses"]["post"]["responses"]
    kind = next(p for p in paths["/api/v1/terminals/{tid}/journal"]["get"]["parameters"]
                if p["name"] == "kind")
    assert kind["schema"]["items"]["enum"] == list(JOURNAL_KINDS)
    assert "probe" in spec["info"]["description"]          # the terminal rule is written down
