"""How busy a day is: weekday, month, payday and holiday multipliers on a Czech calendar."""

from __future__ import annotations

from datetime import date, timedelta
from functools import cache

from sim.traffic.profile import DemandProfile

CHRISTMAS_EVE = (12, 24)


def easter_sunday(year: int) -> date:
    """Return Easter Sunday of `year` (Gregorian; the anonymous 'Meeus/Jones/Butcher' rule)."""
    a, b, c = year % 19, year // 100, year % 100
    d, e = divmod(b, 4)
    f = (b + 8) // 25
    g = (b - f + 1) // 3
    h = (19 * a + b - d - g + 15) % 30
    i, k = divmod(c, 4)
    lead = (32 + 2 * e + 2 * i - h - k) % 7
    m = (a + 11 * h + 22 * lead) // 451
    month, day = divmod(h + lead - 7 * m + 114, 31)
    return date(year, month, day + 1)


@cache
def public_holidays(year: int, fixed: tuple[tuple[int, int], ...]) -> frozenset[date]:
    """Return the public holidays of `year`: the fixed (month, day) ones, Good Friday and Easter
    Monday."""
    easter = easter_sunday(year)
    days = {date(year, m, d) for m, d in fixed}
    return frozenset(days | {easter - timedelta(days=2), easter + timedelta(days=1)})


def is_business_day(day: date, profile: DemandProfile) -> bool:
    """Return True on Monday-Friday days that are not public holidays."""
    return day.weekday() < 5 and day not in _holidays(day.year, profile)


def day_multiplier(day: date, profile: DemandProfile) -> float:
    """Return the expected number of withdrawals on `day` as a multiple of an average day.

    A holiday effect replaces the weekday x month level, as the profile says; the payday effect
    (kernel or day of month) applies on ordinary days.
    """
    holiday = holiday_multiplier(day, profile)
    if holiday is not None:
        return holiday
    level = profile.weekday[day.weekday()] * profile.month[day.month - 1]
    return level * payday_multiplier(day, profile)


def payday_multiplier(day: date, profile: DemandProfile) -> float:
    """Return the payday effect on `day` (1.0 when the mode is off or the day is outside it)."""
    if profile.payday == "day_of_month":
        return profile.day_of_month[day.day - 1]
    if profile.payday != "kernel":
        return 1.0
    kernel = dict(profile.payday_kernel)
    for anchor in _anchors(day, profile):
        offset = _business_days_between(anchor, day, profile)
        if offset in kernel:
            return kernel[offset]
    return 1.0


def holiday_multiplier(day: date, profile: DemandProfile) -> float | None:
    """Return the holiday effect that replaces the day's level, or None on an ordinary day."""
    if profile.holiday_calendar != "CZ":
        return None
    named = profile.holidays
    special = {(12, 24): "closure_day_1", (12, 25): "closure_day_2", (12, 26): "closure_day_2",
               (12, 27): "dec27", (12, 28): "dec28", (12, 31): "dec31", (1, 1): "jan1",
               (1, 2): "jan2"}
    key = special.get((day.month, day.day))
    if key is not None and key in named:
        return named[key]
    christmas_eve = date(day.year, *CHRISTMAS_EVE)
    last = _previous_business_day(christmas_eve, profile)
    if day == last:
        return named["last_day_before_closure"]
    if day == _previous_business_day(last, profile):
        return named["two_days_before_closure"]
    if day.month == 12 and 14 <= day.day <= 21:
        return named["christmas_run_up_dec14_21"]
    easter = easter_sunday(day.year)
    good_friday, easter_monday = easter - timedelta(days=2), easter + timedelta(days=1)
    holidays = _holidays(day.year, profile)
    if day == good_friday:
        return named["good_friday"]
    if day == easter_monday:
        return named["easter_monday"]
    if day in holidays:
        return named["single_bank_holiday_monday"]
    if day.weekday() >= 5:
        return None
    if day == _previous_business_day(good_friday, profile):
        return named["day_before_good_friday"]
    yesterday = _previous_business_day(day, profile)
    if yesterday != day - timedelta(days=1) and any(
            yesterday < d < day for d in holidays):
        after_easter = yesterday < easter_monday < day
        return named["tuesday_after_easter_monday" if after_easter
                     else "tuesday_after_bank_holiday_monday"]
    tomorrow = _next_business_day(day, profile)
    if any(day < d < tomorrow for d in holidays):
        return named["friday_before_bank_holiday_monday"]
    return None


def _holidays(year: int, profile: DemandProfile) -> frozenset[date]:
    if profile.holiday_calendar != "CZ":
        return frozenset()
    return public_holidays(year, profile.fixed_holidays)


def _previous_business_day(day: date, profile: DemandProfile) -> date:
    day -= timedelta(days=1)
    while not is_business_day(day, profile):
        day -= timedelta(days=1)
    return day


def _next_business_day(day: date, profile: DemandProfile) -> date:
    day += timedelta(days=1)
    while not is_business_day(day, profile):
        day += timedelta(days=1)
    return day


def _anchors(day: date, profile: DemandProfile) -> list[date]:
    """Pay days of the month of `day` and of its neighbours (the kernel spans +-5 days)."""
    months = [(day.year - (day.month == 1), (day.month - 2) % 12 + 1), (day.year, day.month),
              (day.year + (day.month == 12), day.month % 12 + 1)]
    anchors = []
    for year, month in months:
        if profile.payday_anchor == "last_business_day":
            first_next = date(year + (month == 12), month % 12 + 1, 1)
            anchors.append(_previous_business_day(first_next, profile))
        else:
            for day_of_month in profile.payday_anchor:
                anchors.append(_clamped(year, month, day_of_month))
    return anchors


def _clamped(year: int, month: int, day: int) -> date:
    first_next = date(year + (month == 12), month % 12 + 1, 1)
    return min(date(year, month, 1) + timedelta(days=day - 1), first_next - timedelta(days=1))


def _business_days_between(anchor: date, day: date, profile: DemandProfile) -> int | None:
    """Signed business-day offset of `day` from `anchor`; None when more than 8 days apart or
    when `day` is not a business day (the kernel was measured on business days)."""
    if abs((day - anchor).days) > 8 or not is_business_day(day, profile):
        return None
    step = 1 if day >= anchor else -1
    offset, current = 0, anchor
    while current != day:
        current += timedelta(days=step)
        if is_business_day(current, profile):
            offset += step
    return offset
