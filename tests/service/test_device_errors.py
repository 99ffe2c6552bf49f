"""A dispenser that cannot be opened answers the same on every path: 503 `device_error`,
naming the driver's own code, never a 500."""

from __future__ import annotations

from tests.service.conftest import DEMO


def test_a_bad_dispenser_url_is_a_device_error_on_staff_and_kiosk_paths(make_app, new_key):
    app = make_app(DISPENSERS={DEMO: "sim://?bogus=1"})
    client = app.test_client()
    staff = {"Authorization": f"Bearer {new_key(app, 'staff')}"}
    kiosk = {"Authorization": f"Bearer {new_key(app, 'kiosk')}"}
    base = f"/api/v1/terminals/{DEMO}"
    answers = [
        client.patch(f"{base}/cassettes/A", json={"status": "inoperative", "reason": "test"},
                     headers=staff),
        client.put(f"{base}/cassettes/A", json={"count": 10, "reason": "test"}, headers=staff),
    ]
    quote = client.post(f"{base}/quotes", json={"amount": {"value": 20000, "currency": "CZK"}},
                        headers=kiosk)
    if quote.status_code == 201:
        answers.append(client.post(f"{base}/dispenses", json={"quote_id": quote.get_json()["id"]},
                                   headers=kiosk | {"Idempotency-Key": "bad-url"}))
    for answer in answers:
        body = answer.get_json()
        assert answer.status_code == 503, body
        assert body["code"] == "device_error", body
        assert body["errors"]["device_code"] == "invalid_driver_url", body
