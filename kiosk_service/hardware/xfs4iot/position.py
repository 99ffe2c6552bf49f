"""Where the notes of the current cycle are, as the xfs4iot driver tracks them: the output
position, the notes presented by cassette and a take the device reported. Kept in line with
Common.Status, the unsolicited ItemsTakenEvent and the counters, also after a dropped
connection or a restarted caller."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from typing import Any

from kiosk_service.hardware.errors import DispenserError, NoItems
from kiosk_service.hardware.results import DeviceEvent, EventKind, Operation, OperationResult
from kiosk_service.hardware.status import BinKind, OutputPosition
from kiosk_service.hardware.xfs4iot.cassette_map import CassetteMap
from kiosk_service.hardware.xfs4iot.common_status import stacker_and_position
from kiosk_service.hardware.xfs4iot.link import Link
from kiosk_service.hardware.xfs4iot.messages import Message
from kiosk_service.hardware.xfs4iot.storage import bin_state


class OutputTracker:
    """The output position of one driver (idle -> stacked -> presented -> taken | retracted).

    `presented` maps cassette id -> notes at the position; `taken` says the device reported
    the customer's take and nobody has collected it yet. `counters` returns the driver's last
    storage read and `read_counters` reads the device's counters again.
    """

    def __init__(self, link: Link, counters: Callable[[], CassetteMap],
                 read_counters: Callable[[], CassetteMap]):
        self.position = OutputPosition.IDLE
        self.presented: dict[str, int] = {}
        self.taken = False
        self._presenting = False     # a take reported before Present completes still counts
        self._link = link
        self._counters = counters
        self._read_counters = read_counters

    # -- what the driver asks -----------------------------------------------------------------

    def stack(self) -> dict[str, int]:
        """Return cassette id -> notes stacked or presented now (empty when neither)."""
        if self.position == OutputPosition.STACKED:
            return self._counters().counter("stacked")
        if self.position == OutputPosition.PRESENTED:
            return dict(self.presented)
        return {}

    def check_stacked(self, operation: str) -> None:
        """Raise NoItems unless notes are stacked."""
        if self.position != OutputPosition.STACKED:
            raise NoItems(f"nothing stacked to {operation} (position {self.position})")

    def check_presented(self, operation: str) -> None:
        """Raise NoItems unless notes we know of wait at the output position."""
        if self.position != OutputPosition.PRESENTED or not self.presented:
            raise NoItems(f"nothing presented to {operation} (position {self.position})")

    # -- what the driver did ----------------------------------------------------------------

    def dispensed(self, stacked: bool) -> None:
        """A dispense ended, with notes in the stacker or none."""
        self.position = OutputPosition.STACKED if stacked else OutputPosition.IDLE

    @contextmanager
    def presenting(self) -> Iterator[None]:
        """While a Present runs and its counters are read: a take reported meanwhile (a quick
        customer) counts, though the position does not say `presented` yet."""
        self._presenting, self.taken = True, False
        try:
            yield
        finally:
            self._presenting = False

    def presented_now(self, stack: Mapping[str, int]) -> None:
        """The notes of `stack` (cassette id -> notes) reached the position."""
        self.presented = dict(stack)
        self.position = OutputPosition.TAKEN if self.taken else OutputPosition.PRESENTED

    def rejected(self) -> None:
        """The stack went to the reject bin."""
        self.position = OutputPosition.IDLE

    def retracted(self) -> None:
        """The presented notes went back in, to the retract bin."""
        self.presented, self.position = {}, OutputPosition.RETRACTED

    def report_take(self, operation: Operation, events: tuple) -> OperationResult:
        """Report the customer's take once; the presented stack is then forgotten."""
        movements = {c: self._counters().movement(c, taken=n)
                     for c, n in sorted(self.presented.items())}
        notes = sum(self.presented.values())
        self.presented, self.taken = {}, False
        self.position = OutputPosition.TAKEN
        return OperationResult(operation, movements, OutputPosition.TAKEN,
                               events=events + (DeviceEvent(EventKind.ITEMS_TAKEN, notes=notes),))

    # -- what the device says ---------------------------------------------------------------

    def on_unsolicited(self, message: Message) -> None:
        """Note a take the device reports (CashManagement.ItemsTakenEvent)."""
        if message.name != "CashManagement.ItemsTakenEvent":
            return
        if self._presenting:
            self.taken = True
        elif self.presented and self.position == OutputPosition.PRESENTED:
            self.taken = True
            self.position = OutputPosition.TAKEN

    def sync(self, common: Mapping[str, Any] | None = None) -> None:
        """Bring the tracked position in line with what the device reports (`common`: its
        Common.Status payload, asked for when not given)."""
        if common is None:
            common = self._link.query("Common.Status").completion.payload
        stacker, at_position = stacker_and_position(common)
        if stacker == "notEmpty":
            self.position = OutputPosition.STACKED
        elif at_position == "notEmpty":
            if self.position not in (OutputPosition.PRESENTED, OutputPosition.TAKEN):
                self._adopt_presented()
            if not self.taken:
                self.position = OutputPosition.PRESENTED
        elif self.position == OutputPosition.STACKED:
            self.position = OutputPosition.IDLE
        elif self.position == OutputPosition.PRESENTED:
            self.reconcile_take()

    def reconcile_take(self) -> None:
        """After a drop while notes were presented: the counters say whether they came back
        (a retract shows in the retract bin); otherwise the customer took them."""
        if self.position != OutputPosition.PRESENTED or not self.presented:
            return
        common = self._link.query("Common.Status").completion.payload
        if stacker_and_position(common)[1] == "notEmpty":
            return
        before = bin_state(BinKind.RETRACT, self._counters().units.values())
        after = bin_state(BinKind.RETRACT, self._read_counters().units.values())
        if after.operations > before.operations:
            self.retracted()
        else:
            self.taken, self.position = True, OutputPosition.TAKEN

    def _adopt_presented(self) -> None:
        """Notes presented before this driver knew of them (a restarted caller): read them."""
        try:
            reply = self._link.query("CashDispenser.GetPresentStatus",
                                     {"position": "outDefault"})
        except DispenserError:
            self.presented = {}        # a device without it: not known per cassette
            return
        values = ((reply.completion.payload.get("denomination") or {}).get("values") or {})
        by_unit = self._counters().unit_cassettes()
        self.presented = {by_unit[name]: n for name, n in values.items()
                          if name in by_unit and isinstance(n, int) and n > 0}
