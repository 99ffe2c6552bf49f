"""The service's own values: terminals, quotes, dispenses, journal entries and API keys."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import datetime
from enum import StrEnum
from typing import Any

from denomination.cassettes import Cassette
from denomination.money import Amount
from denomination.plan import Plan
from denomination.policy import DispensingPolicy
from denomination.preferences import Preference


class Role(StrEnum):
    """What an API key may do: kiosk (quotes, dispenses), staff (cassettes, journal), admin."""

    KIOSK = "kiosk"
    STAFF = "staff"
    ADMIN = "admin"


class QuoteStatus(StrEnum):
    """A quote holds its notes while `held` (until it expires) and `dispensing`."""

    HELD = "held"
    DISPENSING = "dispensing"
    DISPENSED = "dispensed"
    EXPIRED = "expired"          # a held quote past its expiry; stored once its hold is released
    PREVIEW = "preview"          # never stored: a plan that holds nothing (hold: false)


class DispenseState(StrEnum):
    """Where a dispense is: the output position's states, plus in flight and failed."""

    IN_FLIGHT = "in_flight"
    PRESENTED = "presented"
    TAKEN = "taken"
    RETRACTED = "retracted"
    FAILED = "failed"


@dataclass(frozen=True, slots=True)
class Terminal:
    """An ATM: its currency, note limit, cassettes, where its host secret and device are, and
    its dispensing policy (None: every kind offered, no reserve)."""

    id: str
    name: str
    currency: str
    note_limit: int
    cassettes: tuple[Cassette, ...]
    host_secret_env: str | None = None
    dispenser_url: str | None = None
    policy: DispensingPolicy | None = None
    #: (cassette id, storage unit name) where the file names the device's unit explicitly.
    units: tuple[tuple[str, str], ...] = ()
    #: The branch or area the terminal belongs to (fleet views filter by it), or None.
    region: str | None = None

    @property
    def dispensing(self) -> DispensingPolicy:
        """Return the policy the service applies (the default one when it has none)."""
        return self.policy or DispensingPolicy()

    @property
    def unit_names(self) -> dict[str, str]:
        """Return cassette id -> device storage unit name, for the cassettes that name one."""
        return dict(self.units)

    def cassette(self, cassette_id: str) -> Cassette | None:
        """Return the cassette `cassette_id`, or None."""
        return next((c for c in self.cassettes if c.id == cassette_id), None)

    def cassettes_less(self, held: Mapping[str, int]) -> tuple[Cassette, ...]:
        """Return the cassettes with the `held` notes (cassette id -> notes) taken out."""
        return tuple(c.with_count(max(0, c.count - held[c.id])) if held.get(c.id) else c
                     for c in self.cassettes)


@dataclass(frozen=True, slots=True)
class QuoteRequest:
    """A customer's wish: an amount and a preference (None: the terminal's default kind).

    `alternatives`: True always adds a menu of other good mixes, False never, None (default)
    only when the wish cannot be met exactly. `hold=False` asks for a preview: the plan from
    the notes free now, holding nothing and not dispensable (a kiosk's live feedback while the
    customer builds a mix must not lock notes away from the final quote).
    """

    amount: Amount
    preference: Preference | None
    alternatives: bool | None = None
    hold: bool = True


@dataclass(frozen=True, slots=True)
class Quote:
    """A planned mix whose notes are held for the customer until `expires_at`."""

    id: str
    terminal_id: str
    amount: Amount
    preference: Preference
    plan: Plan
    alternatives: tuple[Plan, ...]
    status: QuoteStatus
    created_at: datetime
    expires_at: datetime

    def as_seen_at(self, moment: datetime) -> Quote:
        """Return the quote with status `expired` when its hold ran out before `moment`."""
        if self.status == QuoteStatus.HELD and moment >= self.expires_at:
            return replace(self, status=QuoteStatus.EXPIRED)
        return self


@dataclass(frozen=True, slots=True)
class HostAuthorization:
    """The host's signed permission to pay one quote, valid until `expires_at` (unix seconds)."""

    expires_at: int
    signature: str


@dataclass(frozen=True, slots=True)
class DispenseRequest:
    """Pay quote `quote_id`; `complete_from_other_cassettes` allows finishing after a jam."""

    quote_id: str
    authorization: HostAuthorization
    complete_from_other_cassettes: bool = False


@dataclass(frozen=True, slots=True)
class NoteOutcome:
    """Where one cassette's notes went in a dispense, counter by counter.

    `picked` left the cassette; of those `stacked` reached the stacker, `rejected` went to the
    reject bin and `unknown` are lost in the transport. Of the stacked, `presented` reached the
    customer's side of the shutter, then were `taken` or `retracted` to the retract bin.
    """

    cassette_id: str
    denomination: int
    planned: int
    picked: int = 0
    stacked: int = 0
    presented: int = 0
    taken: int = 0
    retracted: int = 0
    rejected: int = 0
    unknown: int = 0

    @property
    def delivered(self) -> int:
        """Return the notes the customer got or can still take."""
        return self.presented - self.retracted


@dataclass(frozen=True, slots=True)
class Dispense:
    """One payout of a quote, with its outcome note by note."""

    id: str
    terminal_id: str
    quote_id: str
    amount: Amount
    state: DispenseState
    notes: tuple[NoteOutcome, ...]
    created_at: datetime
    updated_at: datetime
    error: str | None = None

    @property
    def dispensed_value(self) -> int:
        """Return the value (minor units) the customer got or can still take."""
        return sum(n.denomination * n.delivered for n in self.notes)

    @property
    def shortfall(self) -> int:
        """Return how much of the amount the customer did not get (for the host to reverse)."""
        return self.amount.value - self.dispensed_value

    @property
    def outcome(self) -> str:
        """Return `complete`, `partial` or `none`, from what reached the customer."""
        if self.shortfall == 0:
            return "complete"
        return "none" if self.dispensed_value == 0 else "partial"


class JournalKind(StrEnum):
    """Every kind of journal entry the service writes (the journal's `kind` filter)."""

    TERMINAL_IMPORTED = "terminal_imported"
    KEY_CREATED = "key_created"
    KEY_REVOKED = "key_revoked"
    KEY_ROTATED = "key_rotated"
    AUTHENTICATION_FAILED = "authentication_failed"
    AUTHENTICATION_LIMITED = "authentication_limited"
    POLICY_CHANGED = "policy_changed"
    CASSETTE_REPLENISHED = "cassette_replenished"
    CASSETTE_ADJUSTED = "cassette_adjusted"
    CASSETTE_STATUS_CHANGED = "cassette_status_changed"
    CASSETTE_COUNT_MISMATCH = "cassette_count_mismatch"
    DISPENSE_REFUSED = "dispense_refused"
    DISPENSE_STARTED = "dispense_started"
    DISPENSE_FINISHED = "dispense_finished"
    DISPENSE_SETTLED = "dispense_settled"
    DISPENSE_RETRACTED = "dispense_retracted"
    DISPENSE_RECOVERED = "dispense_recovered"


JOURNAL_KINDS = tuple(kind.value for kind in JournalKind)


@dataclass(frozen=True, slots=True)
class JournalEntry:
    """One append-only audit record: who did what to which subject, before and after (`kind`
    is a JournalKind)."""

    kind: str
    terminal_id: str
    actor: str
    at: datetime
    subject: str | None = None
    reason: str | None = None
    before: Mapping[str, Any] | None = None
    after: Mapping[str, Any] | None = None
    details: Mapping[str, Any] | None = None
    id: int | None = None


@dataclass(frozen=True, slots=True)
class ApiKey:
    """A stored API key: its public id, the hash of its secret, its role and terminal, when it
    expires (None: never) and when it was revoked (None: it was not)."""

    id: str
    secret_hash: str
    role: Role
    terminal_id: str | None
    created_at: datetime
    label: str = ""
    expires_at: datetime | None = None
    revoked_at: datetime | None = None

    def may_act_on(self, terminal_id: str) -> bool:
        """Return True when the key covers `terminal_id` (admin and unscoped staff cover all)."""
        return self.role == Role.ADMIN or self.terminal_id in (None, terminal_id)

    def state_at(self, now: datetime) -> KeyState:
        """Return whether the key works at `now`: active, expired or revoked."""
        if self.revoked_at is not None:      # at once, whatever this process's clock says
            return KeyState.REVOKED
        if self.expires_at is not None and self.expires_at <= now:
            return KeyState.EXPIRED
        return KeyState.ACTIVE


class KeyState(StrEnum):
    """Whether an API key works now."""

    ACTIVE = "active"
    EXPIRED = "expired"
    REVOKED = "revoked"
