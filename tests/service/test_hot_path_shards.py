"""The hot path stays on one terminal's shard: every statement a quote or a dispense sends
to a table distributed by terminal (docs/deploy.md, "Beyond one database") names the terminal.

Citus routes a statement to one shard only when it filters (or inserts) the distribution
column; a statement that does not is fanned out to every shard. The statements are read as
the database receives them (SQLAlchemy's before_cursor_execute), so a new query on the hot
path that forgets its terminal fails here.
"""

from __future__ import annotations

import re

from sqlalchemy import event

#: Tables distributed by terminal id (terminals itself by `id`); api_keys and auth_failures
#: are reference tables, read whole on any node.
DISTRIBUTED = {"terminals", "cassettes", "quotes", "quote_notes", "dispenses",
               "dispense_notes", "idempotency_keys", "used_authorizations", "journal"}
TABLE = re.compile(r'\b(?:from|join|update|into)\s+"?(\w+)"?', re.IGNORECASE)


def crossing(statement: str) -> list[str]:
    """Return the distributed tables `statement` touches without naming their terminal."""
    sql = " ".join(statement.split()).lower()
    found = []
    for table in sorted(set(TABLE.findall(sql)) & DISTRIBUTED):
        column = "id" if table == "terminals" else "terminal_id"
        if sql.startswith("insert"):
            columns = sql.split("(", 1)[1].split(")", 1)[0]
            routed = re.search(rf"\b{column}\b", columns) is not None
        else:
            routed = re.search(rf"\b{table}\.{column}\s*(=|in\b)", sql) is not None
        if not routed:
            found.append(table)
    return found


def test_the_checker_sees_a_statement_that_would_fan_out():
    assert crossing("SELECT quotes.id FROM quotes WHERE quotes.id = ?") == ["quotes"]
    assert crossing("SELECT quotes.id FROM quotes WHERE quotes.terminal_id = ? AND "
                    "quotes.id = ?") == []
    assert crossing("INSERT INTO journal (terminal_id, at) VALUES (?, ?)") == []
    assert crossing("INSERT INTO dispense_notes (dispense_id, count) VALUES (?, ?)") == \
        ["dispense_notes"]
    assert crossing("SELECT api_keys.id FROM api_keys WHERE api_keys.id = ?") == []


def test_no_quote_or_dispense_statement_crosses_shards(make_app, new_key, caller):
    app = make_app()
    kiosk = caller(app.test_client(), new_key(app, "kiosk"))
    statements: list[str] = []

    def record(conn, cursor, statement, parameters, context, executemany):
        statements.append(statement)

    engine = app.extensions["cashmix"].engine
    event.listen(engine, "before_cursor_execute", record)
    try:
        for preference in ({"kind": "fewest"}, {"kind": "mixed"}, {"kind": "options"},
                           {"kind": "counts", "counts": {"200000": 1, "50000": 3}}):
            assert kiosk.quote(350000, preference).status_code == 201
        quote = kiosk.quote(350000).get_json()
        dispense = kiosk.dispense(quote)
        assert dispense.status_code == 201
        assert kiosk.get(f"/dispenses/{dispense.get_json()['id']}").status_code == 200
        assert kiosk.get(f"/quotes/{quote['id']}").status_code == 200
    finally:
        event.remove(engine, "before_cursor_execute", record)
    assert any("dispense_notes" in s for s in statements)
    crossings = {s: crossing(s) for s in statements if crossing(s)}
    assert crossings == {}
