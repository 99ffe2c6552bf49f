"""The demand profile: config/demand/profile.toml (sourced data) plus traffic.toml (assumptions).

Both files merge into one tree; `--set dotted.key=value` overrides any leaf of it, so every
parameter can be changed without editing the shipped, sourced files.
"""

from __future__ import annotations

import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from denomination import InvalidRequest, default_catalogue, minor_units

DEMAND_DIR = Path(__file__).resolve().parents[2] / "config" / "demand"
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
MONTHS = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")
PAYDAY_MODES = ("kernel", "day_of_month", "off")
WISHES = ("fewest", "small", "mixed", "no_largest", "counts")


@dataclass(frozen=True, slots=True)
class DemandProfile:
    """Everything the demand generator draws from, for one currency.

    Multipliers are ratios to an average day (weekday and month renormalised to mean 1);
    `amounts` pairs minor units with probabilities (summing to 1), `wishes` a wish label with its
    share (summing to 1). `holidays` holds the profile's named holiday multipliers.
    """

    currency: str
    per_day: float
    weekday: tuple[float, ...]
    month: tuple[float, ...]
    day_of_month: tuple[float, ...]
    payday: str
    payday_anchor: str | tuple[int, ...]
    payday_kernel: tuple[tuple[int, float], ...]
    holiday_calendar: str
    fixed_holidays: tuple[tuple[int, int], ...]
    holidays: Mapping[str, float]
    hour_shares: tuple[float, ...]
    noise_sigma: float
    outage_probability: float
    outage_scale_max: float
    amounts: tuple[tuple[int, float], ...]
    wishes: tuple[tuple[str, float], ...]
    counts_max_notes: int
    common_share: float
    start: date

    @property
    def mean_amount(self) -> float:
        """Return the mean withdrawal in minor units (a statistic, not money to pay)."""
        return sum(amount * p for amount, p in self.amounts)

    def common_amounts(self) -> tuple[int, ...]:
        """Return the most frequent amounts that together make up `common_share` of withdrawals."""
        chosen, covered = [], 0.0
        for amount, p in sorted(self.amounts, key=lambda pair: (-pair[1], pair[0])):
            if covered >= self.common_share - 1e-9:
                break
            chosen.append(amount)
            covered += p
        return tuple(sorted(chosen))


def load_tree(profile: str | Path | None = None, traffic: str | Path | None = None,
              overrides: Iterable[str] = ()) -> dict[str, Any]:
    """Return the merged configuration tree, `overrides` ("a.b.c=value", TOML values) applied.

    Raises InvalidRequest (`invalid_request`) naming each override it cannot apply.
    """
    tree: dict[str, Any] = {}
    for path in (profile or DEMAND_DIR / "profile.toml", traffic or DEMAND_DIR / "traffic.toml"):
        with open(path, "rb") as file:
            tree.update(tomllib.load(file))
    problems: dict[str, list[str]] = {}
    for override in overrides:
        key, sep, raw = override.partition("=")
        if not sep or not key.strip():
            problems.setdefault(override, []).append("must look like dotted.key=value")
            continue
        try:
            _set(tree, key.strip().split("."), _value(raw.strip()))
        except (KeyError, TypeError) as error:
            problems.setdefault(key, []).append(str(error))
    if problems:
        raise InvalidRequest("some overrides do not apply", problems)
    return tree


def build_profile(tree: Mapping[str, Any], currency: str) -> DemandProfile:
    """Return the demand profile of `currency` from a merged tree.

    Raises InvalidRequest listing every problem (unknown currency, bad shares or modes).
    """
    problems: dict[str, list[str]] = {}
    volume, calendar = tree["daily_volume"], tree["calendar"]
    exponent = default_catalogue().currency(currency).exponent
    if currency not in tree.get("amounts", {}):
        problems.setdefault("amounts", []).append(f"no amount distribution for {currency}")
        raise InvalidRequest("the demand profile is invalid", problems)
    amounts = [(minor_units(face, exponent), float(p))
               for face, p in tree["amounts"][currency]["probabilities"].items()]
    shares = tree["preferences"]["shares"]
    for wish in sorted(set(shares) - set(WISHES)):
        problems.setdefault("preferences.shares", []).append(
            f"unknown wish {wish!r}; wishes: {', '.join(WISHES)}")
    if calendar["payday"] not in PAYDAY_MODES:
        problems.setdefault("calendar.payday", []).append(f"one of {', '.join(PAYDAY_MODES)}")
    anchor = calendar["payday_anchor"]
    if anchor != "last_business_day" and not (
            isinstance(anchor, list) and all(isinstance(d, int) and 1 <= d <= 31 for d in anchor)):
        problems.setdefault("calendar.payday_anchor", []).append(
            "'last_business_day' or a list of days of the month")
    for where, values in (("amounts", [p for _, p in amounts]),
                          ("preferences.shares", list(shares.values()))):
        if any(v < 0 for v in values) or sum(values) <= 0:
            problems.setdefault(where, []).append("shares must be >= 0 and not all zero")
    if problems:
        raise InvalidRequest("the demand profile is invalid", problems)
    payday = volume["payday"]
    fixed = tree["calendar"]["cz_holidays"]["fixed"]
    return DemandProfile(
        currency=currency,
        per_day=float(tree["volume"]["per_day"]),
        weekday=_mean_one([volume["weekday"][d] for d in WEEKDAYS]),
        month=_mean_one([volume["month"][m] for m in MONTHS]),
        day_of_month=tuple(float(v) for v in volume["day_of_month"]["multipliers"]),
        payday=calendar["payday"],
        payday_anchor=anchor if isinstance(anchor, str) else tuple(anchor),
        payday_kernel=tuple(zip(payday["business_day_offsets"], payday["multipliers"],
                                strict=True)),
        holiday_calendar=calendar["holidays"],
        fixed_holidays=tuple(tuple(int(x) for x in md.split("-")) for md in fixed),
        holidays={k: float(v) for k, v in volume["holidays"].items()
                  if isinstance(v, int | float)},
        hour_shares=_normalised(tree["hour_of_day"]["shares"]),
        noise_sigma=float(tree["volume"]["noise_sigma"]),
        outage_probability=float(tree["volume"]["outage_probability"]),
        outage_scale_max=float(tree["volume"]["outage_scale_max"]),
        amounts=tuple(zip((a for a, _ in amounts), _normalised([p for _, p in amounts]),
                          strict=True)),
        wishes=tuple(zip(shares, _normalised(list(shares.values())), strict=True)),
        counts_max_notes=int(tree["preferences"]["counts"]["max_notes"]),
        common_share=float(tree["common_amounts"]["share"]),
        start=calendar["start"],
    )


def _mean_one(values: list[float]) -> tuple[float, ...]:
    mean = sum(values) / len(values)
    return tuple(v / mean for v in values)


def _normalised(values: list[float]) -> tuple[float, ...]:
    total = sum(values)
    return tuple(v / total for v in values)


def _value(raw: str) -> Any:
    """Parse an override's value as TOML ("300", "0.2", "[15]", "2027-01-04"); else a string."""
    try:
        return tomllib.loads(f"v = {raw}")["v"]
    except tomllib.TOMLDecodeError:
        return raw


def _set(tree: dict[str, Any], keys: list[str], value: Any) -> None:
    node = tree
    for key in keys[:-1]:
        if not isinstance(node.get(key), dict):
            raise KeyError(f"no table {key!r}")
        node = node[key]
    if keys[-1] not in node and not (keys[-2:-1] == ["probabilities"]
                                     or keys[-2:-1] == ["shares"]):
        raise KeyError(f"no key {keys[-1]!r} (new keys only in probabilities and shares)")
    node[keys[-1]] = value
