"""Demand resampled from a recorded history: reproducible, same weekdays, times of day kept."""

from datetime import date, datetime, timedelta

from denomination import Preference
from sim.traffic.demand import Withdrawal
from sim.traffic.recorded import resampled_streams

MONDAY = date(2027, 3, 1)


def recorded(day_offset, hour, amount):
    at = datetime.combine(MONDAY + timedelta(days=day_offset), datetime.min.time())
    return Withdrawal(0, at + timedelta(hours=hour), amount, "fewest", Preference())


HISTORY = [recorded(0, 9, 100000), recorded(0, 17, 200000), recorded(1, 12, 50000),
           recorded(7, 10, 300000), recorded(20, 8, 999)]   # day 20 is outside the window


def streams(seed=0):
    return resampled_streams(HISTORY, MONDAY, 14, first_day=date(2027, 4, 5), days=14, count=3,
                             seed=seed)


def test_same_seed_same_streams_and_days_keep_their_weekday():
    assert streams() == streams()
    for stream in streams():
        assert [w.index for w in stream] == list(range(len(stream)))
        for w in stream:
            assert w.at.date() >= date(2027, 4, 5)
            # Mondays replay recorded Mondays (days 0 and 7), Tuesdays day 1, other days nothing
            if w.at.weekday() == 0:
                assert (w.at.hour, w.amount) in {(9, 100000), (17, 200000), (10, 300000)}
            else:
                assert w.at.weekday() == 1 and (w.at.hour, w.amount) == (12, 50000)
        assert all(w.amount != 999 for w in stream)
