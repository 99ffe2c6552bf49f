"""No secret reaches a log: a full flow (keys created, rotated and revoked through the CLI,
quotes, a signed dispense, a refused forgery, failed and limited authentications, console
sign-ins) with every logger captured at DEBUG, SQLAlchemy's included, then every secret, key
and signature used is looked for in every record."""

from __future__ import annotations

import logging
import re

import pytest
from click.testing import CliRunner

from kiosk_service.cli import main
from kiosk_service.logs import JsonFormatter, KeyValueFormatter
from tests.service.conftest import SECRET, Caller, Console, dispense_body, token


class Everything(logging.Handler):
    """Keeps every record, formatted both ways the service formats them."""

    def __init__(self):
        super().__init__(logging.DEBUG)
        self.lines: list[str] = []
        self.formatters = [JsonFormatter(), KeyValueFormatter()]

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.extend(f.format(record) for f in self.formatters)
        self.lines.append(repr(vars(record)))


@pytest.fixture
def captured():
    handler = Everything()
    root = logging.getLogger()
    # cashmix does not propagate (it gets the handler itself); sqlalchemy sets its own level
    # to WARNING on import: DEBUG here is what an operator hunting a database problem sets.
    loggers = [root, logging.getLogger("cashmix"), logging.getLogger("sqlalchemy")]
    levels = [logger.level for logger in loggers]
    for logger in loggers[:2]:
        logger.addHandler(handler)
    for logger in loggers:
        logger.setLevel(logging.DEBUG)
    yield handler
    for logger, level in zip(loggers, levels, strict=True):
        logger.removeHandler(handler)
        logger.setLevel(level)


def test_a_full_flow_logs_no_secret_key_or_signature(captured, make_app, database_url,
                                                     monkeypatch):
    monkeypatch.setenv("DATABASE_URL", database_url)
    app = make_app(LOG_LEVEL="DEBUG", AUTH_FAILURES_PER_KEY=3)
    cli = CliRunner()

    def run(*args: str) -> str:
        result = cli.invoke(main, list(args), catch_exceptions=False)
        assert result.exit_code == 0, result.output
        return result.stdout.strip()

    kiosk_key = run("keys", "create", "--role", "kiosk", "--terminal", "demo-czk")
    staff_key = run("keys", "create", "--role", "staff", "--terminal", "demo-czk",
                    "--expires-in", "30d")
    old_admin = run("keys", "create", "--role", "admin")
    admin_key = run("keys", "rotate", old_admin)
    run("keys", "list")
    client = app.test_client()
    kiosk, staff = Caller(client, kiosk_key), Caller(client, staff_key)

    quote = kiosk.quote(350000, {"kind": "mixed"}).get_json()
    body = dispense_body(quote, "demo-czk")
    signatures = [body["authorization"]["signature"]]
    assert kiosk.post("/dispenses", body, headers={"Idempotency-Key": "k-1"}).status_code == 201
    forged_quote = kiosk.quote(150000).get_json()
    forged = dispense_body(forged_quote, "demo-czk", secret="a-guessed-secret")
    signatures.append(forged["authorization"]["signature"])
    assert kiosk.post("/dispenses", forged, headers={"Idempotency-Key": "k-2"}).status_code == 403
    replay = kiosk.post("/dispenses", dispense_body(quote, "demo-czk") | {
        "authorization": body["authorization"]}, headers={"Idempotency-Key": "k-3"})
    assert replay.status_code in (403, 409)
    assert staff.get("/journal").status_code == 200
    assert Caller(client, admin_key).get("/cassettes").status_code == 200

    wrong = [f"cmx_{kiosk_key.split('_')[1]}_wrong-secret-{n}" for n in range(4)]
    wrong += ["cmx_0123456789ab_made-up-secret", "just-a-password", old_admin]
    for presented in wrong:
        assert Caller(client, presented).get("").status_code in (401, 429)

    console = Console(app.test_client())
    assert console.sign_in(staff_key).status_code == 302
    csrf = token(console.get("/console/sign-in"))
    assert console.sign_in("cmx_0123456789ab_console-guess").status_code == 401
    run("keys", "revoke", kiosk_key, "--reason", "flow done")
    assert kiosk.get("").status_code in (401, 429)      # its id is blocked by now

    secrets = {SECRET, "a-guessed-secret", csrf, *signatures}
    for key in (kiosk_key, staff_key, old_admin, admin_key, *wrong,
                "cmx_0123456789ab_console-guess"):
        secrets |= {key, key.split("_", 2)[-1]}
    logs = "\n".join(captured.lines)
    assert len(captured.lines) > 100          # the flow was logged, SQL statements too
    assert re.search(r"INSERT INTO used_authorizations", logs)   # the signature's own row
    leaked = sorted(s for s in secrets if s in logs)
    assert leaked == []

