"""Host authorization: missing, wrong, expired, too far ahead or replayed is refused and
journalled; the accepted clock skew is bounded; the OpenAPI text says how to sign."""

import pytest


def _refusals(staff) -> list[str]:
    body = staff.get("/journal?kind=dispense_refused").get_json()
    return [e["details"]["problem"] for e in body["items"]]


def test_a_missing_authorization_is_refused_and_journalled(kiosk, staff, counts):
    quote = kiosk.quote(350000).get_json()
    before = counts()
    response = kiosk.post("/dispenses", {"quote_id": quote["id"]},
                          headers={"Idempotency-Key": "k"})
    assert response.status_code == 403
    assert response.get_json()["code"] == "authorization_refused"
    assert response.get_json()["errors"]["problem"] == "missing"
    assert _refusals(staff) == ["missing"] and counts() == before


@pytest.mark.parametrize(("change", "problem"), [
    ({"secret": "not-the-host-secret"}, "invalid"),
    ({"expires_at": 1}, "expired"),
    ({"expires_at": 4102444800}, "too_far_ahead"),
])
def test_a_bad_authorization_is_refused_and_journalled(kiosk, staff, counts, change, problem):
    quote = kiosk.quote(350000).get_json()
    before = counts()
    response = kiosk.dispense(quote, **change)
    assert response.status_code == 403
    assert response.get_json()["errors"]["problem"] == problem
    assert _refusals(staff) == [problem] and counts() == before
    assert kiosk.get(f"/quotes/{quote['id']}").get_json()["status"] == "held"


def test_a_signature_over_another_amount_is_refused(kiosk):
    quote = kiosk.quote(350000).get_json()
    forged = quote | {"amount": {"value": 35000000, "currency": "CZK"}}
    response = kiosk.dispense(forged)
    assert response.get_json()["errors"]["problem"] == "invalid"


def test_a_replayed_authorization_is_refused_and_journalled(kiosk, staff):
    quote = kiosk.quote(350000).get_json()
    assert kiosk.dispense(quote, key="first").status_code == 201
    response = kiosk.dispense(quote, key="second")
    assert response.status_code == 403
    assert response.get_json()["errors"]["problem"] == "replayed"
    assert _refusals(staff) == ["replayed"]


def test_a_terminal_without_its_secret_configured_refuses_everything(make_app, new_key, caller):
    app = make_app(environ={})
    kiosk = caller(app.test_client(), new_key(app, "kiosk"))
    quote = kiosk.quote(350000).get_json()
    assert kiosk.dispense(quote).get_json()["errors"]["problem"] == "no_host_secret"


@pytest.mark.parametrize(("ahead", "status"), [(300, 201), (301, 403)])
def test_an_authorization_may_expire_at_most_the_configured_seconds_ahead(kiosk, clock, ahead,
                                                                         status):
    quote = kiosk.quote(350000).get_json()
    response = kiosk.dispense(quote, expires_at=int(clock.now().timestamp()) + ahead)
    assert response.status_code == status
    if status == 403:
        assert response.get_json()["errors"]["problem"] == "too_far_ahead"


def test_the_accepted_skew_is_a_setting(make_app, new_key, caller, clock):
    app = make_app(AUTHORIZATION_MAX_SECONDS=30)
    kiosk = caller(app.test_client(), new_key(app, "kiosk"))
    quote = kiosk.quote(350000).get_json()
    response = kiosk.dispense(quote, expires_at=int(clock.now().timestamp()) + 31)
    assert response.get_json()["errors"]["problem"] == "too_far_ahead"


def test_the_dispense_operation_documents_signing_and_expiry(client):
    spec = client.get("/api/v1/openapi.json").get_json()
    operation = spec["paths"]["/api/v1/terminals/{tid}/dispenses"]["post"]
    text = operation["description"]
    assert "{terminal_id}|{quote_id}|{value}|{currency}|{expires_at}" in text
    assert "HMAC" in text.upper() or "hmac.new" in text
    for problem in ("missing", "no_host_secret", "invalid", "expired", "too_far_ahead",
                    "replayed"):
        assert f"`{problem}`" in text and f"`{problem}`" in operation["responses"]["403"][
            "description"]
    assert "AUTHORIZATION_MAX_SECONDS" in text
    expires = spec["components"]["schemas"]["Authorization"]["properties"]["expires_at"]
    assert "too_far_ahead" in expires["description"]
