"""Health: does the database answer, and which dispensers are degraded?"""

from __future__ import annotations

from typing import Any

from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from kiosk_service.devices import DispenserPool
from kiosk_service.persistence.unit_of_work import SqlUnitOfWork


def check_health(*, uow: SqlUnitOfWork, devices: DispenserPool) -> dict[str, Any]:
    """Return {"ok", "status", "database", "devices"}.

    `ok` (and readiness) is the database's: a fleet serves every other terminal while some
    devices fail. `status` is "ok", "degraded" (some devices failed to open or failed their
    last operation: `devices.degraded` names them with the error code) or "down" (no
    database). No device is opened or read: this process's pool says what it knows, so the
    check costs the same for five terminals or five thousand.
    """
    report = devices.report()
    try:
        with uow:
            uow.session.execute(text("SELECT 1"))
    except SQLAlchemyError as error:
        return {"ok": False, "status": "down",
                "database": {"ok": False, "error": type(error).__name__}, "devices": report}
    return {"ok": True, "status": "degraded" if report["degraded"] else "ok",
            "database": {"ok": True, "error": None}, "devices": report}
