"""Property tests: nothing goes out in quiet hours, in any zone, on DST days too."""

import datetime as dt
from zoneinfo import ZoneInfo

from hypothesis import given, settings
from hypothesis import strategies as st

from scheduling.notifications.quiet import is_quiet, next_send_time

ZONES = [
    "America/New_York",
    "America/Los_Angeles",
    "America/Phoenix",
    "Europe/London",
    "Australia/Lord_Howe",
    "Asia/Kolkata",
    "Pacific/Chatham",
    "America/St_Johns",
    "UTC",
]
# DST change days (both directions) in several zones, plus ordinary days.
DST_DAYS = [
    dt.date(2026, 3, 8),
    dt.date(2026, 11, 1),
    dt.date(2026, 3, 29),
    dt.date(2026, 10, 25),
    dt.date(2026, 4, 5),
    dt.date(2026, 10, 4),
    dt.date(2026, 6, 15),
]
UTC = dt.UTC
times = st.builds(dt.time, st.integers(0, 23), st.sampled_from([0, 15, 30, 45]))


@st.composite
def instants(draw):
    """Any minute within a day around a DST change (or any day), as an aware UTC datetime."""
    day = draw(st.sampled_from(DST_DAYS) | st.dates(dt.date(2025, 1, 1), dt.date(2030, 12, 31)))
    minute = draw(st.integers(-24 * 60, 48 * 60))
    second = draw(st.integers(0, 59))
    return dt.datetime.combine(day, dt.time(0), tzinfo=UTC) + dt.timedelta(
        minutes=minute, seconds=second
    )


@settings(max_examples=600, deadline=None)
@given(now=instants(), zone=st.sampled_from(ZONES), start=times, end=times)
def test_the_send_time_is_the_first_allowed_moment(now, zone, start, end):
    tz = ZoneInfo(zone)
    when = next_send_time(now, tz, start, end)
    assert when >= now
    assert not is_quiet(when, tz, start, end)
    if not is_quiet(now, tz, start, end):
        assert when == now
    else:
        assert when - now <= dt.timedelta(hours=25)
        # Earliest: a minute before it is still quiet (or before `now`).
        just_before = when - dt.timedelta(minutes=1)
        assert just_before < now or is_quiet(just_before, tz, start, end)


@settings(max_examples=400, deadline=None)
@given(now=instants(), zone=st.sampled_from(ZONES))
def test_default_window_nothing_between_nine_pm_and_nine_am_local(now, zone):
    tz = ZoneInfo(zone)
    when = next_send_time(now, tz, dt.time(21), dt.time(9)).astimezone(tz)
    assert dt.time(9) <= when.time().replace(tzinfo=None) < dt.time(21)
    if is_quiet(now, tz, dt.time(21), dt.time(9)):
        assert (when.hour, when.minute, when.second) == (9, 0, 0)


def test_examples_around_new_york_spring_forward():
    ny = ZoneInfo("America/New_York")
    # 22:00 on Sat Mar 7 2026 -> 09:00 EDT on Sun Mar 8 (the clocks jump at 02:00).
    late = dt.datetime(2026, 3, 7, 22, 0, tzinfo=ny)
    assert next_send_time(late, ny, dt.time(21), dt.time(9)) == dt.datetime(
        2026, 3, 8, 9, 0, tzinfo=ny
    )
    assert next_send_time(late, ny, dt.time(21), dt.time(9)) - late == dt.timedelta(hours=10)
    # An end inside the gap (02:30 does not exist) -> 03:00 EDT, the first real minute after it.
    assert next_send_time(
        dt.datetime(2026, 3, 8, 1, 0, tzinfo=ny), ny, dt.time(21), dt.time(2, 30)
    ) == dt.datetime(2026, 3, 8, 3, 0, tzinfo=ny)
    # Same wall-clock boundary in another zone.
    la = ZoneInfo("America/Los_Angeles")
    assert next_send_time(late, la, dt.time(21), dt.time(9)) == late  # 19:00 in Los Angeles


def test_equal_start_and_end_means_no_quiet_hours():
    now = dt.datetime(2026, 1, 1, 3, 0, tzinfo=UTC)
    assert next_send_time(now, ZoneInfo("UTC"), dt.time(0), dt.time(0)) == now
