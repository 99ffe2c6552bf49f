"""A terminal's dispensing policy: the bank's customisation of what its customers may choose."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from denomination.cassettes import Cassette
from denomination.catalogue import Currency
from denomination.errors import CashmixError, InvalidAmount, InvalidRequest
from denomination.money import minor_units
from denomination.preferences import PREFERENCE_KINDS, Preference, PreferenceKind
from denomination.reserve import apply_reserve

LOCALES = ("en", "cs")


class KindNotOffered(CashmixError):
    """The terminal's policy does not offer this preference kind."""

    code = "kind_not_offered"


@dataclass(frozen=True, slots=True)
class DispensingPolicy:
    """What a terminal offers: preference kinds in menu order, the default kind, notes held in
    reserve per denomination (minor units -> notes), how long a quote holds its notes, and the
    customer screen's locale. (The per-dispense note limit is the terminal's, not the
    policy's: one value, one place.)"""

    offered: tuple[PreferenceKind, ...] = tuple(PreferenceKind)
    default: PreferenceKind = PreferenceKind.FEWEST
    reserve: tuple[tuple[int, int], ...] = ()
    quote_expiry_seconds: int = 60
    locale: str = "en"

    def admit(self, preference: Preference | Mapping[str, Any] | None) -> Preference:
        """Return the wish to plan: the default kind for None; raises KindNotOffered."""
        wish = (Preference(self.default) if preference is None
                else Preference.coerce(preference))
        if wish.kind not in self.offered:
            offered = ", ".join(self.offered)
            raise KindNotOffered(f"this terminal does not offer {wish.kind!s} mixes; "
                                 f"it offers: {offered}", offered=list(self.offered))
        return wish

    def cassettes_for(self, wish: Preference, cassettes: Iterable[Cassette]) -> list[Cassette]:
        """Return the cassettes as `wish` may use them, reserves held back where they apply."""
        return apply_reserve(cassettes, dict(self.reserve), wish)

    def to_mapping(self, currency: Currency) -> dict[str, Any]:
        """Return the TOML/JSON form, reserve keyed by face value as printed on the note."""
        return {"offered": [str(k) for k in self.offered], "default": str(self.default),
                "reserve": {currency.face(d): n for d, n in self.reserve},
                "quote_expiry_seconds": self.quote_expiry_seconds, "locale": self.locale}

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any], currency: Currency) -> DispensingPolicy:
        """Build from the TOML/JSON form; raises InvalidRequest listing every problem."""
        problems: dict[str, list[str]] = {}
        for key in sorted(set(data) - set(cls.__slots__)):
            problems.setdefault(key, []).append("unknown field")
        offered = data.get("offered", list(PREFERENCE_KINDS))
        if not isinstance(offered, list) or not offered:
            problems.setdefault("offered", []).append("must be a non-empty list of kinds")
            offered = []
        for kind in offered:
            if kind not in PREFERENCE_KINDS:
                problems.setdefault("offered", []).append(
                    f"{kind!r} is not a kind; kinds: {', '.join(PREFERENCE_KINDS)}")
        if len(set(map(str, offered))) != len(offered):
            problems.setdefault("offered", []).append("kinds must not repeat")
        default = data.get("default", offered[0] if offered else "fewest")
        if default not in PREFERENCE_KINDS or default == "options":
            problems.setdefault("default", []).append("must be a kind other than options")
        elif default not in offered:
            problems.setdefault("default", []).append("must be one of the offered kinds")
        reserve = _reserve(data.get("reserve", {}), currency, problems)
        expiry = data.get("quote_expiry_seconds", 60)
        if type(expiry) is not int or not 5 <= expiry <= 3600:
            problems.setdefault("quote_expiry_seconds", []).append(
                "must be an integer from 5 to 3600")
        locale = data.get("locale", "en")
        if locale not in LOCALES:
            problems.setdefault("locale", []).append(f"must be one of: {', '.join(LOCALES)}")
        if problems:
            raise InvalidRequest("the dispensing policy is invalid", problems)
        return cls(tuple(PreferenceKind(k) for k in offered), PreferenceKind(default), reserve,
                   expiry, locale)


def _reserve(raw: Any, currency: Currency, problems: dict[str, list[str]]):
    if not isinstance(raw, Mapping):
        problems.setdefault("reserve", []).append("must map notes (face value) to counts")
        return ()
    found = {}
    for face, count in raw.items():
        try:
            denomination = minor_units(face, currency.exponent)
        except InvalidAmount:
            denomination = None
        if denomination not in currency.notes:
            problems.setdefault("reserve", []).append(f"{face} is not a {currency.code} note")
        elif type(count) is not int or count < 0:
            problems.setdefault("reserve", []).append(f"{face}: must be an integer >= 0")
        else:
            found[denomination] = count
    return tuple(sorted(found.items()))
