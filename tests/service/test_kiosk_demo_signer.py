"""The kiosk page and its demo-only host signer: present in demo mode only, signing held quotes."""

from __future__ import annotations

from tests.service.conftest import DEMO, Caller

SIGNER = f"/kiosk/{DEMO}/demo-authorization"


def test_without_demo_mode_neither_the_page_nor_the_signer_exists(make_app, new_key):
    app = make_app()
    key = new_key(app, "kiosk")
    client = app.test_client()

    assert client.get(f"/kiosk/{DEMO}").status_code == 404
    answer = client.post(SIGNER, json={"quote_id": "x"}, headers={"Authorization": f"Bearer {key}"})
    assert answer.status_code == 404


def test_demo_page_carries_the_demo_key_and_says_it_is_a_demo(make_app, new_key):
    app = make_app(KIOSK_DEMO=True)
    app.config["KIOSK_DEMO_KEY"] = key = new_key(app, "kiosk")

    page = app.test_client().get(f"/kiosk/{DEMO}")
    assert page.status_code == 200
    assert key in page.text and "Demo mode" in page.text


def test_demo_signature_pays_a_held_quote(make_app, new_key):
    app = make_app(KIOSK_DEMO=True)
    kiosk = Caller(app.test_client(), new_key(app, "kiosk"))
    quote = kiosk.quote(200000, {"kind": "mixed"}).json

    signed = kiosk.client.post(SIGNER, json={"quote_id": quote["id"]}, headers=kiosk.headers())
    assert signed.status_code == 200 and signed.json["demo"] is True
    paid = kiosk.post("/dispenses", {"quote_id": quote["id"], "authorization": {
        "expires_at": signed.json["expires_at"], "signature": signed.json["signature"]}},
        headers={"Idempotency-Key": "kiosk-1"})
    assert paid.status_code == 201, paid.json
    assert paid.json["outcome"] == "complete"


def test_demo_signer_needs_a_kiosk_key_and_a_held_quote(make_app, new_key):
    app = make_app(KIOSK_DEMO=True)
    client = app.test_client()
    kiosk = Caller(client, new_key(app, "kiosk"))
    staff = Caller(client, new_key(app, "staff"))

    assert client.post(SIGNER, json={"quote_id": "x"}).json["code"] == "unauthenticated"
    answer = client.post(SIGNER, json={"quote_id": "x"}, headers=staff.headers())
    assert answer.json["code"] == "forbidden"
    answer = client.post(SIGNER, json={"quote_id": "nope"}, headers=kiosk.headers())
    assert (answer.status_code, answer.json["code"]) == (404, "not_found")
