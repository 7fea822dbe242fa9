from datetime import UTC, timedelta

from scheduling.engine import DoseTiming, build_timeline, session_minutes

from .helpers import TZ, D, at


def test_phases():
    tl = build_timeline(at(D, 9), DoseTiming(30, 120, 60), 15)
    assert tl.start == tl.premed_start == at(D, 9)
    assert tl.infusion_start == at(D, 9, 30)
    assert tl.infusion_end == at(D, 11, 30)
    assert tl.observation_end == at(D, 12, 30)
    assert tl.chair_release_at == at(D, 12, 45)


def test_zero_premed_and_observation():
    tl = build_timeline(at(D, 9), DoseTiming(0, 45, 0), 0)
    assert tl.infusion_start == tl.start
    assert tl.observation_end == tl.chair_release_at == at(D, 9, 45)


def test_absolute_durations_across_dst_fall_back():
    # 2026-11-01 01:00 EDT; two real hours later it is 02:00 EST (wall clock only +1h)
    from datetime import date

    start = at(date(2026, 11, 1), 0, 30)
    tl = build_timeline(start, DoseTiming(30, 60, 30), 0)
    # (same-tzinfo subtraction in Python is wall-clock, so compare in UTC)
    real = tl.observation_end.astimezone(UTC) - start.astimezone(UTC)
    assert real == timedelta(hours=2)
    assert tl.observation_end.astimezone(TZ).hour == 1  # 01:30 EST after fall-back


def test_session_minutes():
    assert session_minutes(DoseTiming(30, 120, 60)) == 210


def test_naive_rejected():
    from datetime import datetime

    import pytest

    with pytest.raises(ValueError):
        build_timeline(datetime(2026, 3, 2, 9), DoseTiming(0, 10, 0), 0)
