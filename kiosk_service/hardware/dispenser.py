"""The interface every cash-dispenser driver implements, after CEN/XFS and XFS4IoT."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterable, Mapping
from typing import Any, Self

from denomination.cassettes import Cassette
from kiosk_service.hardware.results import OperationResult
from kiosk_service.hardware.status import DeviceStatus


class Dispenser(ABC):
    """A cash dispenser: load, dispense into the stacker, present, wait, retract, reject, reset.

    The normal cycle is `dispense(plan) -> present() -> wait_for_take(timeout)`; when the
    customer does not take the notes, `wait_for_take` retracts them (or the caller calls
    `retract()`). Each operation returns an OperationResult saying where every note went.
    When an operation fails it raises a DispenserError subclass whose `.code` is stable and
    whose `.result` is the partial OperationResult when notes moved (None when refused up
    front). `status()` always works and is the device's truth after any error.

    Drivers are opened by URL through `open_dispenser`, which calls `from_url`. A driver is a
    context manager; `close()` releases it (the device keeps its state). A driver runs one
    operation at a time and may be shared between threads; callers still hold their own
    per-terminal lock over a whole dispense cycle so that two cycles do not interleave.
    """

    @classmethod
    def shared_across_processes(cls, url: str) -> bool:
        """Return True when processes that each open `url` drive one and the same device (a
        device outside the process: the default), False when each would get its own copy."""
        return True

    @classmethod
    @abstractmethod
    def from_url(cls, url: str, **dependencies: Any) -> Self:
        """Open the driver for `url`. Dependencies: `clock` (a Clock), driver-specific extras.

        Raises DriverURLError (`invalid_driver_url`) for an unknown option or a bad value,
        naming the allowed options.
        """

    @abstractmethod
    def status(self) -> DeviceStatus:
        """Return the device, output position, shutter, cassette counters and bins. Never raises
        a device-state error: it is how a caller finds out what happened."""

    @abstractmethod
    def load(self, cassettes: Iterable[Cassette]) -> DeviceStatus:
        """Tell the device what staff loaded (XFS4IoT SetStorage): for each cassette its id,
        currency, denomination, `count` (becomes counter `initial`, other counters reset),
        capacity, low threshold, status and application lock. Cassettes not named keep theirs.

        Raises InvalidUnit (`invalid_unit`) for a count over capacity, a negative count or a
        repeated id; ItemsLeft (`items_left`) while notes wait at the output position;
        SequenceError (`sequence_error`) while a take is unreported (see wait_for_take);
        DeviceNotReady (`device_not_ready`) until a reset after an error.
        """

    @abstractmethod
    def dispense(self, counts: Mapping[str, int], *, amount: int | None = None) -> OperationResult:
        """Pick `counts` (cassette id -> notes, e.g. `plan.by_cassette`) into the stacker.

        `amount` (minor units), when given, must equal the notes' value. On success the
        position is `stacked` and every cassette's movement has `stacked == requested`.
        Refusals, nothing moved: InvalidDenomination (`invalid_denomination`),
        NotDispensableByDevice (`not_dispensable`), TooManyItems (`too_many_items`),
        CashUnitError (`cash_unit_error`: cassette inoperative/missing/locked/empty),
        ItemsLeft (`items_left`), SequenceError (`sequence_error`: the customer took the last
        stack and no wait_for_take has reported it yet), DeviceNotReady (`device_not_ready`).
        Failures part-way, `.result` says how far it got: CashUnitError (`cash_unit_error`,
        a jam: the cassette turns inoperative and the device needs reset(); or the cassette
        ran out before its declared count), PowerFailure (`power_failure`).
        """

    @abstractmethod
    def present(self) -> OperationResult:
        """Open the shutter and present the stacked notes; position becomes `presented`.

        Raises NoItems (`no_items`) when nothing is stacked; ShutterNotOpen
        (`shutter_not_open`) when the shutter fails (the notes stay stacked: reject() them or
        reset() and try again); DeviceNotReady (`device_not_ready`).
        """

    @abstractmethod
    def wait_for_take(self, timeout: float, *, retract_on_timeout: bool = True) -> OperationResult:
        """Wait up to `timeout` seconds for the customer to take the presented notes.

        Returns position `taken` (movement `taken`), or when the time runs out: `retracted`
        (the device retracted them to the retract bin; movement `retracted`) or, with
        `retract_on_timeout=False`, still `presented`. A take is reported exactly once, here
        or by retract()'s ItemsTaken; status() shows position `taken` as soon as it happens,
        and a take that status() showed first is still reported by the next wait_for_take.
        Raises NoItems (`no_items`) when nothing is presented or the take was already
        reported; DeviceNotReady (`device_not_ready`).
        """

    @abstractmethod
    def retract(self) -> OperationResult:
        """Close the shutter over presented notes and move them to the retract bin.

        Raises ItemsTaken (`items_taken`, `.result` records the take) when the customer took
        them first; NoItems (`no_items`) when nothing is presented; DeviceNotReady.
        """

    @abstractmethod
    def reject(self) -> OperationResult:
        """Move the stacked (not presented) notes to the reject bin; position back to `idle`.

        Raises NoItems (`no_items`) when nothing is stacked; DeviceNotReady.
        """

    @abstractmethod
    def reset(self) -> OperationResult:
        """Recover from an error: clear jammed notes from the transport to the reject bin,
        un-jam the shutter and bring the device online. Stacked notes stay stacked (reject or
        present them). After a power loss `.recovered` is the cut operation's partial result.
        Cassettes that jammed stay inoperative until reloaded.
        """

    @abstractmethod
    def close(self) -> None:
        """Release the driver; the device keeps its state. Closing twice is harmless."""

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()
