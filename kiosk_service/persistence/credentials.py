"""API keys (stored hashed) and the failed-authentication counters every process shares."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import bindparam, case, delete, func, literal, null, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from kiosk_service.persistence.database import UtcDateTime
from kiosk_service.persistence.tables import ApiKeyRow, AuthFailureRow
from kiosk_service.records import ApiKey, Role

KEYS = ApiKeyRow.__table__
FAILURES = AuthFailureRow.__table__


class ApiKeyRepository:
    """API keys, stored hashed; revoked and expired ones stay, for the journal and `keys list`."""

    def __init__(self, session: Session):
        self.session = session

    def add(self, key: ApiKey) -> None:
        """Store a new key."""
        self.session.add(ApiKeyRow(id=key.id, secret_hash=key.secret_hash, role=str(key.role),
                                   terminal_id=key.terminal_id, label=key.label,
                                   created_at=key.created_at, expires_at=key.expires_at,
                                   revoked_at=key.revoked_at))
        self.session.flush()

    def get(self, key_id: str) -> ApiKey | None:
        """Return the key with public id `key_id` (revoked or expired too), or None."""
        row = self.session.get(ApiKeyRow, key_id)
        return None if row is None else row.to_domain()

    def all(self) -> list[ApiKey]:
        """Return every key, oldest first."""
        rows = self.session.scalars(select(ApiKeyRow).order_by(ApiKeyRow.created_at,
                                                               ApiKeyRow.id))
        return [row.to_domain() for row in rows]

    def revoke(self, key_id: str, at: datetime) -> None:
        """Mark the key revoked at `at` (every process sees it on its next lookup)."""
        self.session.execute(update(KEYS).where(KEYS.c.id == key_id).values(revoked_at=at))

    def lookup(self, key_id: str, buckets: list[str],
               now: datetime) -> tuple[ApiKey | None, datetime | None]:
        """Return the key `key_id` (or None) and until when any of `buckets` (at most two: the
        key's and the address's) is blocked (or None), in one statement: authentication costs
        one round trip and nothing is cached, so a revocation holds in every process at once.
        Call it first in a unit of work told read_once(): it then runs without BEGIN and
        ROLLBACK."""
        if len(buckets) > len(BUCKET_PARAMETERS):
            raise ValueError(f"at most {len(BUCKET_PARAMETERS)} buckets: {buckets}")
        values = dict(zip(BUCKET_PARAMETERS, [*buckets, None, None], strict=False))
        row = self.session.execute(LOOKUP, {"key_id": key_id, "now": now, **values}).one()
        if row.id is None:
            return None, row.blocked_until
        return ApiKey(row.id, row.secret_hash, Role(row.role), row.terminal_id, row.created_at,
                      row.label, row.expires_at, row.revoked_at), row.blocked_until


#: The lookup's bucket parameters, fixed so the statement is the same on every call (an
#: expanding list is rendered again on each); an absent bucket is NULL, which IN never matches.
BUCKET_PARAMETERS = ("bucket_1", "bucket_2")


def _lookup_statement():
    """SELECT key.*, (latest block of the buckets) FROM (one row) LEFT JOIN the key: a row
    whether or not the key exists. Built once: building it costs more than running it."""
    one = select(literal(1).label("one")).subquery()
    blocked = (select(func.max(FAILURES.c.blocked_until))
               .where(FAILURES.c.bucket.in_([bindparam(name, type_=FAILURES.c.bucket.type)
                                             for name in BUCKET_PARAMETERS]),
                      FAILURES.c.blocked_until > bindparam("now", type_=UtcDateTime()))
               .scalar_subquery())
    return (select(KEYS, blocked.label("blocked_until"))
            .select_from(one.outerjoin(KEYS, KEYS.c.id == bindparam("key_id"))))


LOOKUP = _lookup_statement()


@dataclass(frozen=True, slots=True)
class Failures:
    """One bucket after a failure: failures in its window, until when it is blocked, and
    whether this failure is the one that blocked it."""

    failures: int
    blocked_until: datetime | None
    newly_blocked: bool


class AuthFailureRepository:
    """Failed authentications per bucket (`key:<id>`, `address:<ip>`) in fixed windows."""

    def __init__(self, session: Session):
        self.session = session

    def record(self, bucket: str, now: datetime, *, window: timedelta, limit: int) -> Failures:
        """Count one failure for `bucket` (a new window when the last one has passed) and block
        the bucket until its window ends when it reaches `limit`. Atomic across processes."""
        at = literal(now, UtcDateTime())
        stale = FAILURES.c.window_start <= literal(now - window, UtcDateTime())
        insert = (postgresql.insert(FAILURES) if self._dialect == "postgresql"
                  else sqlite.insert(FAILURES))
        statement = insert.values(bucket=bucket, window_start=now, failures=1)
        statement = statement.on_conflict_do_update(
            index_elements=[FAILURES.c.bucket],
            set_={"failures": case((stale, 1), else_=FAILURES.c.failures + 1),
                  "window_start": case((stale, at), else_=FAILURES.c.window_start),
                  "blocked_until": case((stale, null()), else_=FAILURES.c.blocked_until)},
        ).returning(FAILURES.c.failures, FAILURES.c.window_start, FAILURES.c.blocked_until)
        failures, window_start, blocked_until = self.session.execute(statement).one()
        newly = False
        if failures >= limit and blocked_until is None:
            blocked_until = window_start + window
            newly = self.session.execute(
                update(FAILURES).where(FAILURES.c.bucket == bucket,
                                       FAILURES.c.blocked_until.is_(None))
                .values(blocked_until=blocked_until)).rowcount == 1
        return Failures(failures, blocked_until, newly)

    def prune(self, now: datetime, *, window: timedelta) -> None:
        """Forget buckets whose window and block are over."""
        self.session.execute(delete(FAILURES).where(
            FAILURES.c.window_start <= literal(now - window, UtcDateTime()),
            or_(FAILURES.c.blocked_until.is_(None),
                FAILURES.c.blocked_until <= literal(now, UtcDateTime()))))

    @property
    def _dialect(self) -> str:
        return self.session.get_bind().dialect.name
