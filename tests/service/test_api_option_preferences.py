"""Every mix in a quote carries the wish that produced it, as a request's `preference`."""


def by_denomination(plan: dict) -> dict[int, int]:
    return {n["denomination"]: n["count"] for n in plan["by_denomination"]}


def test_each_option_of_a_menu_carries_its_own_wish(kiosk):
    body = kiosk.quote(200000, {"kind": "options"}, hold=False).get_json()
    wishes = {plan["label"]: plan["preference"] for plan in [body["plan"], *body["alternatives"]]}
    assert wishes == {
        "fewest": {"kind": "fewest"},
        "mixed": {"kind": "mixed"},
        "small": {"kind": "small", "max_notes": 15},
        "no_200000": {"kind": "bounds", "exclude": [200000]},
        "smallest": {"kind": "small", "max_notes": 40},
    }


def test_asking_for_an_options_wish_gives_that_option(kiosk):
    menu = kiosk.quote(200000, {"kind": "options"}, hold=False).get_json()
    for option in [menu["plan"], *menu["alternatives"]]:
        again = kiosk.quote(200000, option["preference"], hold=False)
        assert again.status_code == 201, again.get_json()
        assert by_denomination(again.get_json()["plan"]) == by_denomination(option), option


def test_a_plain_quote_and_its_alternatives_carry_their_wishes(kiosk):
    wish = {"kind": "bounds", "min": {"10000": 2}, "exclude": [200000]}
    body = kiosk.quote(350000, wish, alternatives=True).get_json()
    assert body["plan"]["preference"] == wish == body["preference"]
    assert body["alternatives"]
    assert all(a["preference"]["kind"] in {"fewest", "mixed", "small", "bounds"}
               for a in body["alternatives"])


def test_a_stored_quote_keeps_every_options_wish(kiosk, clock):
    held = kiosk.quote(200000, {"kind": "options"}).get_json()
    clock.sleep(1)
    read = kiosk.get(f"/quotes/{held['id']}").get_json()
    assert [a["preference"] for a in read["alternatives"]] == [
        a["preference"] for a in held["alternatives"]]
    assert read["plan"]["preference"] == {"kind": "fewest"}


def test_the_openapi_document_describes_the_plans_preference(client):
    spec = client.get("/api/v1/openapi.json").get_json()
    field = spec["components"]["schemas"]["Plan"]["properties"]["preference"]
    assert field["type"] == "object" and field["nullable"] is True and field["description"]
