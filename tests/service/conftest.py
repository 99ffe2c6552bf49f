"""Service fixtures: a real database (SQLite in tmp_path, or PostgreSQL when
CASHMIX_TEST_DATABASE_URL is set), the simulator, a manual clock, and key-holding clients."""

from __future__ import annotations

import os
import re
import time
import tomllib
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from kiosk_service import create_app
from kiosk_service.hardware import ManualClock
from kiosk_service.persistence.database import normalise_url
from kiosk_service.persistence.migrate import upgrade_database
from kiosk_service.records import Role
from kiosk_service.services.authorization import sign
from kiosk_service.services.keys import create_key
from kiosk_service.services.terminals import import_terminal
from kiosk_service.terminal_files import load_terminal_file, parse_terminal

TERMINALS = Path(__file__).resolve().parents[2] / "config" / "terminals"
DEMO = "demo-czk"
SECRET = "test-host-secret"
ENVIRON = {"CASHMIX_DEMO_CZK_HOST_SECRET": SECRET, "CASHMIX_VIENNA_EUR_HOST_SECRET": SECRET}
POSTGRES_URL = os.environ.get("CASHMIX_TEST_DATABASE_URL")
needs_postgres = pytest.mark.skipif(
    not POSTGRES_URL, reason="PostgreSQL tests: set CASHMIX_TEST_DATABASE_URL="
                             "postgresql://user@127.0.0.1:PORT/db (.ci/run starts one)")


def reset_postgres(url: str) -> None:
    """Give the test an empty public schema."""
    engine = create_engine(normalise_url(url))
    with engine.begin() as connection:
        connection.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
        connection.execute(text("CREATE SCHEMA public"))
    engine.dispose()


@pytest.fixture
def database_url(tmp_path: Path) -> str:
    if POSTGRES_URL:
        reset_postgres(POSTGRES_URL)
        return POSTGRES_URL
    return f"sqlite:///{tmp_path / 'cashmix.sqlite'}"


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture
def dispenser_url() -> str:
    return "sim://?seed=1&pace=0"


def build_app(database_url: str, clock, dispenser_url: str, dispensers=None, environ=None,
              **config):
    settings = {"TESTING": True, "DATABASE_URL": database_url,
                "DISPENSERS": {DEMO: dispenser_url}, "LOG_LEVEL": "WARNING"}
    settings.update(config)
    return create_app(settings, clock=clock, environ=ENVIRON if environ is None else environ,
                      dispensers=dispensers)


@pytest.fixture
def make_app(database_url: str, clock: ManualClock, dispenser_url: str) -> Iterator:
    """Return a function building an app on the test database (migrated, terminals imported
    once); every app it built is closed after the test."""
    built = []

    def make(*, migrate: bool = True, dispensers=None, environ=None, fresh: bool = False,
             **config):
        url = database_url
        if fresh:       # a new database for this app alone (hypothesis examples)
            url = _fresh_database(database_url)
        app = build_app(url, clock, dispenser_url, dispensers=dispensers,
                        environ=environ, **config)
        deps = app.extensions["cashmix"]
        if migrate and (fresh or not built):
            upgrade_database(deps.engine)
            for name in ("demo-czk.toml", "vienna-eur.toml"):
                import_terminal(load_terminal_file(TERMINALS / name), uow=deps.unit_of_work(),
                                clock=clock)
        built.append(deps)
        return app

    yield make
    for deps in built:
        deps.close()


def _fresh_database(database_url: str) -> str:
    if database_url.startswith("postgresql"):
        reset_postgres(database_url)
        return database_url
    folder = Path(database_url.removeprefix("sqlite:///")).parent
    return f"sqlite:///{folder / f'{uuid.uuid4().hex}.sqlite'}"


@pytest.fixture
def app(make_app):
    return make_app()


@pytest.fixture
def new_key(clock):
    """Return a function creating a key on an app: new_key(app, "kiosk", "demo-czk")."""
    def create(app, role: str, terminal: str | None = DEMO) -> str:
        deps = app.extensions["cashmix"]
        return create_key(Role(role), terminal, uow=deps.unit_of_work(), clock=clock)
    return create


class Caller:
    """A test client that presents one API key and signs dispenses as the host would."""

    def __init__(self, client, key: str | None, terminal: str = DEMO):
        self.client, self.key, self.terminal = client, key, terminal

    def headers(self, extra: dict | None = None) -> dict:
        headers = {"Authorization": f"Bearer {self.key}"} if self.key else {}
        return headers | (extra or {})

    def get(self, path: str, **kwargs):
        return self.client.get(self._url(path), headers=self.headers(), **kwargs)

    def post(self, path: str, json=None, headers: dict | None = None):
        return self.client.post(self._url(path), json=json, headers=self.headers(headers))

    def put(self, path: str, json=None):
        return self.client.put(self._url(path), json=json, headers=self.headers())

    def patch(self, path: str, json=None):
        return self.client.patch(self._url(path), json=json, headers=self.headers())

    def quote(self, value: int, preference: dict | None = None, currency: str = "CZK", **extra):
        body = {"amount": {"value": value, "currency": currency}} | extra
        if preference is not None:
            body["preference"] = preference
        return self.post("/quotes", body)

    def dispense(self, quote: dict, *, key: str | None = "k-1", expires_at: int | None = None,
                 secret: str = SECRET, **extra):
        body = dispense_body(quote, self.terminal, expires_at, secret) | extra
        return self.post("/dispenses", body, headers={"Idempotency-Key": key} if key else {})

    def _url(self, path: str) -> str:
        return path if path.startswith("/api") or path.startswith("/") and \
            path.split("/")[1] in ("healthz", "metrics") else \
            f"/api/v1/terminals/{self.terminal}{path}"


def token(response) -> str:
    """Return the CSRF token of a console page."""
    return re.search(r'name="csrf_token" value="([^"]+)"', response.get_data(as_text=True))[1]


class Console:
    """A browser-like client: keeps the session cookie and sends the page's CSRF token."""

    def __init__(self, client):
        self.client = client

    def sign_in(self, key: str):
        page = self.client.get("/console/sign-in")
        return self.client.post("/console/sign-in", data={"key": key,
                                                          "csrf_token": token(page)})

    def post(self, path: str, data: dict, form_page: str | None = None):
        page = self.client.get(form_page or path)
        return self.client.post(path, data=data | {"csrf_token": token(page)})

    def get(self, path: str):
        return self.client.get(path)


@pytest.fixture
def console(app):
    return Console(app.test_client())


@pytest.fixture
def signed_in(console, keys):
    assert console.sign_in(keys["staff"]).status_code == 302
    return console


def import_fleet(app, clock, count: int) -> None:
    """Import `count` copies of the demo terminal, atm-00..., a third in brno, the rest in
    praha; atm-04's cassette A is nearly empty."""
    deps = app.extensions["cashmix"]
    source = (TERMINALS / "demo-czk.toml").read_text(encoding="utf-8")
    for n in range(count):
        data = tomllib.loads(source) | {"id": f"atm-{n:02d}",
                                        "region": "brno" if n % 3 == 0 else "praha"}
        if n == 4:
            data["cassettes"][0] |= {"count": 10}          # below its low threshold
        import_terminal(parse_terminal(data), uow=deps.unit_of_work(), clock=clock)


#: The withdrawals `recorded` makes each day: every wish kind.
WITHDRAWALS = [(350000, {"kind": "fewest"}), (200000, {"kind": "small"}),
               (150000, {"kind": "mixed"}), (500000, {"kind": "fewest"}),
               (100000, {"kind": "counts", "counts": {"20000": 5}}),
               (250000, {"kind": "bounds", "exclude": [200000]})]


@pytest.fixture
def recorded(kiosk, clock):
    """Two days of dispenses on the demo terminal, a few hours apart; return how many."""
    for day in range(2):
        for value, preference in WITHDRAWALS:
            quote = kiosk.quote(value, preference)
            assert quote.status_code == 201, quote.get_json()
            assert kiosk.dispense(quote.get_json(), key=f"k-{day}-{value}").status_code == 201
            clock.advance(3 * 3600)
        clock.advance(6 * 3600)
    return 2 * len(WITHDRAWALS)


def dispense_body(quote: dict, terminal: str, expires_at: int | None = None,
                  secret: str = SECRET) -> dict:
    """Return a dispense body with the host's signature over the quote."""
    expires = expires_at if expires_at is not None else int(_now(quote)) + 120
    signature = sign(secret, terminal, quote["id"], quote["amount"]["value"],
                     quote["amount"]["currency"], expires)
    return {"quote_id": quote["id"], "authorization": {"expires_at": expires,
                                                       "signature": signature}}


def _now(quote: dict) -> float:
    from datetime import datetime

    return datetime.fromisoformat(quote["created_at"]).timestamp() if quote.get("created_at") \
        else time.time()


@pytest.fixture
def keys(app, clock) -> dict[str, str]:
    deps = app.extensions["cashmix"]
    made = {
        "kiosk": create_key(Role.KIOSK, DEMO, uow=deps.unit_of_work(), clock=clock),
        "staff": create_key(Role.STAFF, DEMO, uow=deps.unit_of_work(), clock=clock),
        "admin": create_key(Role.ADMIN, None, uow=deps.unit_of_work(), clock=clock),
        "other_kiosk": create_key(Role.KIOSK, "vienna-eur", uow=deps.unit_of_work(),
                                  clock=clock),
        "other_staff": create_key(Role.STAFF, "vienna-eur", uow=deps.unit_of_work(),
                                  clock=clock),
    }
    return made


@pytest.fixture
def caller():
    """Return the Caller class, for tests that build their own app."""
    return Caller


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def kiosk(client, keys) -> Caller:
    return Caller(client, keys["kiosk"])


@pytest.fixture
def staff(client, keys) -> Caller:
    return Caller(client, keys["staff"])


@pytest.fixture
def admin(client, keys) -> Caller:
    return Caller(client, keys["admin"])


@pytest.fixture
def counts(staff: Caller):
    """Return a function giving cassette id -> notes, as staff see them."""
    def read() -> dict[str, int]:
        return {c["id"]: c["count"] for c in staff.get("/cassettes").get_json()}
    return read
