"""Health, metrics and the OpenAPI document."""

import pytest


def test_healthz_reports_the_database_and_opens_no_device(client):
    body = client.get("/healthz").get_json()
    assert body["ok"] is True and body["status"] == "ok" and body["database"]["ok"] is True
    assert body["devices"]["degraded"] == {} and body["devices"]["open"] == 0


def test_healthz_lists_a_device_that_cannot_be_opened_without_failing(make_app, new_key,
                                                                       caller):
    app = make_app(DISPENSERS={"demo-czk": "sim://?colour=red"})
    kiosk = caller(app.test_client(), new_key(app, "kiosk"))
    assert kiosk.get("").get_json()["device"]["error"] == "invalid_driver_url"
    response = app.test_client().get("/healthz")
    assert response.status_code == 200
    body = response.get_json()
    assert body["status"] == "degraded"
    assert body["devices"]["degraded"]["demo-czk"]["error"] == "invalid_driver_url"


def test_healthz_fails_only_without_the_database(make_app):
    app = make_app(migrate=False, RECOVER_ON_START=False,
                   DATABASE_URL="postgresql://nobody@127.0.0.1:1/none?connect_timeout=1")
    response = app.test_client().get("/healthz")
    assert response.status_code == 503 and response.get_json()["status"] == "down"


@pytest.mark.parametrize("per_terminal", [True, False], ids=["per-terminal", "fleet"])
def test_metrics_count_quotes_notes_latency_and_levels(make_app, new_key, caller, per_terminal):
    app = make_app(METRICS_PER_TERMINAL=per_terminal)
    kiosk = caller(app.test_client(), new_key(app, "kiosk"))
    kiosk.quote(350000, {"kind": "mixed"})
    kiosk.quote(355000)
    quote = kiosk.quote(350000).get_json()
    kiosk.dispense(quote)
    text = app.test_client().get("/metrics").get_data(as_text=True)
    terminal = "demo-czk" if per_terminal else "all"
    assert f'cashmix_quotes_total{{kind="mixed",outcome="exact",terminal="{terminal}"}} 1.0' \
        in text
    assert 'outcome="not_dispensable"' in text
    assert 'cashmix_notes_dispensed_total{currency="CZK",denomination="200000"' in text
    assert "cashmix_http_request_duration_seconds_bucket" in text
    cassette = "E" if per_terminal else "all"
    assert f'cashmix_cassette_notes{{cassette="{cassette}",currency="CZK",' \
           f'denomination="200000",status="ok",terminal="{terminal}"}}' in text
    assert f'cashmix_cassettes{{currency="CZK",fill="ok",terminal="{terminal}"}}' in text
    if not per_terminal:        # two terminals, one series: bounded whatever the fleet
        assert 'terminal="demo-czk"' not in text and 'terminal="vienna-eur"' not in text


def test_the_openapi_document_lists_every_endpoint_and_the_error_body(client):
    spec = client.get("/api/v1/openapi.json").get_json()
    paths = set(spec["paths"])
    assert {"/api/v1/terminals/{tid}", "/api/v1/terminals/{tid}/dispensable",
            "/api/v1/terminals/{tid}/quotes", "/api/v1/terminals/{tid}/quotes/{qid}",
            "/api/v1/terminals/{tid}/dispenses", "/api/v1/terminals/{tid}/dispenses/{did}",
            "/api/v1/terminals/{tid}/dispenses/{did}/retract",
            "/api/v1/terminals/{tid}/cassettes", "/api/v1/terminals/{tid}/cassettes/{cid}",
            "/api/v1/terminals/{tid}/journal"} <= paths
    dispense = spec["paths"]["/api/v1/terminals/{tid}/dispenses"]["post"]
    assert any(p["name"] == "Idempotency-Key" for p in dispense["parameters"])
    error = spec["components"]["schemas"]["Error"]["properties"]
    assert set(error) == {"code", "status", "message", "errors"}
    assert client.get("/api/v1/docs").status_code == 200


def test_an_unknown_path_gets_the_error_body(client):
    body = client.get("/api/v1/nowhere").get_json()
    assert body == {"code": "not_found", "status": 404, "message": body["message"], "errors": {}}


def test_terminal_status_shows_cassettes_holds_and_device(kiosk):
    kiosk.quote(400000, {"kind": "counts", "counts": {"200000": 2}})
    body = kiosk.get("").get_json()
    assert body["note_limit"] == 40 and body["device"]["state"] == "online"
    by_id = {c["id"]: c for c in body["cassettes"]}
    assert by_id["E"]["held"] == 2 and by_id["E"]["fill"] in ("ok", "low", "high", "full")
