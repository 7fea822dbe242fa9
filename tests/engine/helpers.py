"""Small builders shared by the engine tests (plain pytest, no Django)."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from scheduling.engine import (
    BusySession,
    Center,
    Chair,
    DoseTiming,
    Interval,
    Leg,
    Nurse,
    Placement,
    SlotRequest,
    build_timeline,
)

TZN = "America/New_York"
TZ = ZoneInfo(TZN)
D = date(2026, 3, 2)  # a Monday


def at(d: date, h: int, m: int = 0, tz=TZ) -> datetime:
    return datetime.combine(d, time(h, m), tzinfo=tz)


def days(d0: date, n: int, h0=7, h1=19, tz=TZ) -> tuple[Interval, ...]:
    return tuple(
        Interval(at(d0 + timedelta(i), h0, tz=tz), at(d0 + timedelta(i), h1, tz=tz))
        for i in range(n)
    )


def center(n_days=1, d0=D, turnover=15, stagger=15, step=15, h0=7, h1=19, windows=None, tzname=TZN):
    tz = ZoneInfo(tzname)
    return Center(
        tzname,
        windows if windows is not None else days(d0, n_days, h0, h1, tz),
        turnover_minutes=turnover,
        stagger_minutes=stagger,
        slot_step_minutes=step,
    )


def chairs(*kinds: str) -> dict[int, Chair]:
    return {i: Chair(i, f"Chair {i}", k) for i, k in enumerate(kinds or ("recliner",), start=1)}


def nurses(
    n=1, skills=("chemo",), max_concurrent=4, shifts=None, n_days=1, d0=D
) -> dict[int, Nurse]:
    sh = shifts if shifts is not None else days(d0, n_days)
    return {
        i: Nurse(i, f"Nurse {i}", frozenset(skills), max_concurrent, sh) for i in range(1, n + 1)
    }


T60 = DoseTiming(15, 30, 15)  # 60 min patient time
T120 = DoseTiming(30, 60, 30)


def place(start: datetime, chair_id=1, nurse_id=1, timing=T60, turnover=15, dose=1) -> Placement:
    return Placement(dose, chair_id, nurse_id, build_timeline(start, timing, turnover))


def busy(
    sid: int, start: datetime, chair_id=1, nurse_id=1, patient_id=100, timing=T60, turnover=15
) -> BusySession:
    tl = build_timeline(start, timing, turnover)
    return BusySession(
        sid, patient_id, chair_id, nurse_id, tl.start, tl.observation_end, tl.chair_release_at
    )


def request(legs=None, timing=T60, d_from=D, d_to=None, **kw) -> SlotRequest:
    kw.setdefault("patient_id", 7)
    kw.setdefault("required_skill", None)
    kw.setdefault("required_chair_kind", None)
    return SlotRequest(
        legs=legs or (Leg(1, 0, timing),), date_from=d_from, date_to=d_to or d_from, **kw
    )
