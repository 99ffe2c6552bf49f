"""Health: can the service reach its database and each terminal's dispenser?"""

from __future__ import annotations

from typing import Any

from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from kiosk_service.devices import DispenserPool
from kiosk_service.persistence.unit_of_work import SqlUnitOfWork
from kiosk_service.services.terminals import device_health


def check_health(*, uow: SqlUnitOfWork, devices: DispenserPool) -> dict[str, Any]:
    """Return {"ok", "database", "dispensers": {terminal: device health}}."""
    try:
        with uow:
            uow.session.execute(text("SELECT 1"))
            terminals = [uow.terminals.get(tid) for tid in uow.terminals.ids()]
    except SQLAlchemyError as error:
        return {"ok": False, "database": {"ok": False, "error": type(error).__name__},
                "dispensers": {}}
    dispensers = {t.id: device_health(t, devices) for t in terminals}
    ok = all(d["reachable"] and d["state"] == "online" for d in dispensers.values())
    return {"ok": ok, "database": {"ok": True, "error": None}, "dispensers": dispensers}
