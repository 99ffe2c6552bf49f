"""The happy path: quote, dispense, counts and journal."""

def test_quote_then_dispense_takes_the_notes_off_the_cassettes(kiosk, staff, counts):
    before = counts()
    quote = kiosk.quote(350000, {"kind": "fewest"})
    assert quote.status_code == 201, quote.get_json()
    body = quote.get_json()
    assert body["exact"] is True and body["status"] == "held"
    dispense = kiosk.dispense(body)
    assert dispense.status_code == 201, dispense.get_json()
    result = dispense.get_json()
    assert result["state"] == "taken" and result["outcome"] == "complete"
    assert result["dispensed"] == {"value": 350000, "currency": "CZK"}
    after = counts()
    for cassette_id, n in body["plan"]["by_cassette"].items():
        assert after[cassette_id] == before[cassette_id] - n
    kinds = [e["kind"] for e in staff.get("/journal").get_json()["items"]]
    assert kinds[-2:] == ["dispense_started", "dispense_finished"]
