"""Idempotency: one key, one dispense, whatever the retries."""


def test_the_same_key_and_body_return_the_first_dispense_and_pay_once(kiosk, counts):
    quote = kiosk.quote(350000).get_json()
    before = counts()
    first = kiosk.dispense(quote, key="retry-me")
    again = kiosk.dispense(quote, key="retry-me")
    assert first.status_code == again.status_code == 201
    assert first.headers["Idempotent-Replayed"] == "false"
    assert again.headers["Idempotent-Replayed"] == "true"
    assert again.get_json() == first.get_json()
    paid = sum(before.values()) - sum(counts().values())
    assert paid == quote["plan"]["notes"]


def test_the_same_key_with_another_body_is_a_conflict(kiosk):
    quote = kiosk.quote(350000).get_json()
    other = kiosk.quote(100000).get_json()
    assert kiosk.dispense(quote, key="k").status_code == 201
    response = kiosk.dispense(other, key="k")
    assert response.status_code == 409
    assert response.get_json()["code"] == "idempotency_key_reused"


def test_a_dispense_needs_an_idempotency_key(kiosk):
    quote = kiosk.quote(350000).get_json()
    for key in (None, "k" * 201):
        response = kiosk.dispense(quote, key=key)
        assert response.status_code == 400
        assert response.get_json()["code"] == "idempotency_key_required"


def test_a_quote_is_never_dispensed_twice_under_two_keys(kiosk, counts):
    quote = kiosk.quote(350000).get_json()
    assert kiosk.dispense(quote, key="one").status_code == 201
    after_first = counts()
    replayed = kiosk.dispense(quote, key="two")
    assert replayed.status_code == 403
    assert replayed.get_json()["errors"]["problem"] == "replayed"
    fresh_authorization = kiosk.dispense(quote, key="three", expires_at=_later(quote))
    assert fresh_authorization.status_code == 409
    assert fresh_authorization.get_json()["code"] == "quote_used"
    assert counts() == after_first


def _later(quote: dict) -> int:
    from datetime import datetime

    return int(datetime.fromisoformat(quote["created_at"]).timestamp()) + 200
