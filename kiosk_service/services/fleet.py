"""The console's fleet page: every terminal a key may see, with fill, warnings and run-out,
sorted and paged in a few statements (no device is read)."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from kiosk_service.hardware.clock import Clock
from kiosk_service.persistence.unit_of_work import SqlUnitOfWork
from kiosk_service.records import ApiKey, Role, Terminal
from kiosk_service.services import terminals as terminal_service
from kiosk_service.services.staff import DEMAND_WINDOW, CassetteState, cassette_states

#: Terminals a sort other than by id reads at once; past it, the sort covers the first ones.
SORTED_AT_MOST = 5000


class FleetSort(StrEnum):
    """How the fleet page orders terminals."""

    ID = "id"
    REGION = "region"
    FILL = "fill"           # the lowest-filled cassette first
    EMPTY = "empty"         # the soonest run-out first; no recent demand last


@dataclass(frozen=True, slots=True)
class FleetRow:
    """A terminal on the fleet page: its cassettes' states, warnings and soonest run-out."""

    terminal: Terminal
    cassettes: tuple[CassetteState, ...]
    warnings: tuple[dict[str, str], ...]

    @property
    def lowest_fill(self) -> int:
        """Return the fill (percent) of its emptiest cassette."""
        return min((s.fill_percent for s in self.cassettes), default=0)

    @property
    def runs_out(self) -> CassetteState | None:
        """Return the cassette expected to run out first, or None without recent demand."""
        timed = [s for s in self.cassettes if s.days_left is not None]
        return min(timed, key=lambda s: s.days_left) if timed else None


@dataclass(frozen=True, slots=True)
class FleetPage:
    """One page of the fleet, how many terminals match, and the regions to filter by."""

    rows: tuple[FleetRow, ...]
    page: int
    page_size: int
    total: int
    regions: tuple[str, ...]
    truncated: bool          # more than SORTED_AT_MOST matched: the sort saw the first ones

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.page_size))


def fleet_page(key: ApiKey, *, uow: SqlUnitOfWork, clock: Clock, region: str | None = None,
               sort: FleetSort = FleetSort.ID, page: int = 1, page_size: int = 50) -> FleetPage:
    """Return a page of the terminals `key` may see (of `region`), ordered by `sort`.

    By id, the database pages (list_terminals); any other order reads up to SORTED_AT_MOST
    terminals and sorts them here. Four statements either way: count, terminals with their
    cassettes, the notes picked in DEMAND_WINDOW, the regions.
    """
    only = None if key.role == Role.ADMIN else key.terminal_id
    by_id = sort == FleetSort.ID
    found = terminal_service.list_terminals(
        uow=uow, region=region, only=only, page=page if by_id else 1,
        page_size=page_size if by_id else SORTED_AT_MOST)
    since = clock.now() - DEMAND_WINDOW
    with uow:
        picked = uow.dispenses.picked_since_by_terminal([t.id for t in found.items], since)
        regions = uow.terminals.regions(only=only)
    rows = [FleetRow(t, cassette_states(t, picked.get(t.id, {})),
                     tuple(terminal_service.warnings(t))) for t in found.items]
    if not by_id:
        rows.sort(key=_ORDER[sort])
        rows = rows[(page - 1) * page_size:page * page_size]
    return FleetPage(tuple(rows), page, page_size, found.total, tuple(regions),
                     not by_id and found.total > SORTED_AT_MOST)


def _soonest(row: FleetRow) -> tuple[bool, float, str]:
    first = row.runs_out
    return (first is None, first.days_left if first else 0.0, row.terminal.id)


_ORDER = {
    FleetSort.REGION: lambda r: (r.terminal.region is None, r.terminal.region or "",
                                 r.terminal.id),
    FleetSort.FILL: lambda r: (r.lowest_fill, r.terminal.id),
    FleetSort.EMPTY: _soonest,
}
