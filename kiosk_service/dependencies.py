"""Everything a request needs, built once per app by create_app: no globals, no import effects."""

from __future__ import annotations

import os
import socket
import threading
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy import Engine, inspect, select
from sqlalchemy.orm import Session, sessionmaker

from denomination.cassettes import Cassette
from denomination.catalogue import Catalogue, default_catalogue, load_catalogue
from kiosk_service.devices import DispenserPool
from kiosk_service.hardware import Dispenser
from kiosk_service.hardware.clock import Clock
from kiosk_service.metrics import Metrics
from kiosk_service.persistence.database import build_engine, is_sqlite
from kiosk_service.persistence.tables import CassetteRow
from kiosk_service.persistence.unit_of_work import SqlUnitOfWork
from kiosk_service.services.dispenses import DispenseSettings
from kiosk_service.services.keys import AuthLimits
from kiosk_service.terminal_locks import terminal_locks


@dataclass
class Dependencies:
    """The engine, clock, dispensers, metrics and settings of one app."""

    engine: Engine
    sessions: sessionmaker[Session]
    clock: Clock
    devices: DispenserPool
    metrics: Metrics
    quote_hold: timedelta
    dispense_settings: DispenseSettings
    catalogue: Catalogue
    writers: threading.Lock | None = None
    auth_limits: AuthLimits = AuthLimits()

    @classmethod
    def build(cls, config: Mapping[str, Any], *, clock: Clock,
              dispensers: Mapping[str, Dispenser] | None = None,
              environ: Mapping[str, str] | None = None) -> Dependencies:
        """Build from the app's config; `dispensers` (terminal id -> opened driver) replaces
        opening by URL, `environ` is where host secrets are read (default os.environ)."""
        engine = build_engine(config["DATABASE_URL"], pool_size=int(config["DATABASE_POOL_SIZE"]),
                              max_overflow=int(config["DATABASE_MAX_OVERFLOW"]))
        sessions = sessionmaker(engine, expire_on_commit=False)
        owner = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        devices = DispenserPool(clock=clock, default_url=config["DISPENSER_URL"],
                                overrides=config.get("DISPENSERS"), opened=dispensers,
                                locks=terminal_locks(engine, clock=clock, owner=owner),
                                lock_timeout=float(config["TERMINAL_LOCK_TIMEOUT_SECONDS"]),
                                idle_seconds=float(config["DEVICE_IDLE_SECONDS"]),
                                max_open=int(config["MAX_OPEN_DEVICES"]))
        metrics = Metrics.create(per_terminal=bool(config["METRICS_PER_TERMINAL"]))
        deps = cls(engine, sessions, clock, devices, metrics,
                   timedelta(seconds=config["QUOTE_HOLD_SECONDS"]),
                   DispenseSettings(float(config["TAKE_TIMEOUT_SECONDS"]),
                                    int(config["AUTHORIZATION_MAX_SECONDS"]),
                                    os.environ if environ is None else environ, owner),
                   # Built once: the currencies the service plans and formats with.
                   load_catalogue(config["CURRENCIES"]) if config.get("CURRENCIES")
                   else default_catalogue(),
                   threading.Lock() if is_sqlite(engine) else None,
                   AuthLimits(int(config["AUTH_FAILURES_PER_KEY"]),
                              int(config["AUTH_FAILURES_PER_ADDRESS"]),
                              timedelta(seconds=config["AUTH_FAILURE_WINDOW_SECONDS"])))
        metrics.watch_cassettes(deps.cassette_levels)
        return deps

    def unit_of_work(self) -> SqlUnitOfWork:
        """Return a new unit of work."""
        return SqlUnitOfWork(self.sessions, self.writers)

    def schema_ready(self) -> bool:
        """Return True when the database has been migrated."""
        return inspect(self.engine).has_table("dispenses")

    def cassette_levels(self) -> Iterable[tuple[str, Cassette]]:
        """Return (terminal id, cassette) for every cassette, for the metrics scrape."""
        if not self.schema_ready():
            return []
        with self.sessions() as session:
            rows = session.scalars(select(CassetteRow).order_by(CassetteRow.terminal_id,
                                                                CassetteRow.position))
            return [(row.terminal_id, row.to_domain()) for row in rows]

    def close(self) -> None:
        """Close the devices and the engine's connections."""
        self.devices.close()
        self.engine.dispose()
