"""Generated clinic days for the planning benchmarks (issue 11), pure engine, no database.

A day like the issue's: 30 chairs (4 of them beds), 8 nurses (max 4 patients each, one start
per nurse per 15 min, on shift 07:00-19:00), open 07:00-19:00, the MS drug mix below (stays
from scheduling/data/ms_protocols.yaml: premedication + infusion + observation), 60 % of
patients preferring a start between 08:00 and 11:00, the rest any time their stay fits.
Demand = the requests' chair time (turnover included) / (30 chairs x 12 h).
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from scheduling.engine import Center, Chair, DoseTiming, Interval, Nurse

TZ_NAME = "America/New_York"
TZ = ZoneInfo(TZ_NAME)
DAY = date(2026, 3, 3)  # a Tuesday
N_CHAIRS, N_BEDS, N_NURSES = 30, 4, 8
OPEN, CLOSE = 7 * 60, 19 * 60
TURNOVER = 15
MAX_BED_COURSES = 3

# (name, timing, required skill, required chair kind, weight in the mix)
MIX = [
    ("natalizumab (Tysabri) maintenance", DoseTiming(0, 60, 0), "rems_natalizumab", None, 30),
    ("natalizumab first doses", DoseTiming(0, 60, 60), "rems_natalizumab", None, 6),
    ("ocrelizumab (Ocrevus) maintenance", DoseTiming(30, 210, 60), None, None, 16),
    ("ocrelizumab shortened infusion", DoseTiming(30, 120, 60), None, None, 6),
    ("ocrelizumab start (doses 1-2)", DoseTiming(30, 150, 60), None, None, 5),
    ("ocrelizumab-hyaluronidase SC (Zunovo)", DoseTiming(30, 10, 15), None, None, 8),
    ("ublituximab (Briumvi) day 1", DoseTiming(30, 240, 60), None, None, 3),
    ("ublituximab day 15", DoseTiming(30, 60, 60), None, None, 3),
    ("ublituximab maintenance", DoseTiming(30, 60, 0), None, None, 9),
    ("alemtuzumab (Lemtrada) course day", DoseTiming(60, 240, 120), "rems_alemtuzumab", "bed", 1),
    ("methylprednisolone (relapse)", DoseTiming(0, 60, 0), None, None, 10),
    ("mitoxantrone", DoseTiming(0, 15, 0), "chemo", None, 1),
]


@dataclass(frozen=True)
class Req:
    id: int
    name: str
    timing: DoseTiming
    skill: str | None
    kind: str | None
    preferred_minute: int
    arrives: datetime  # when the call comes in

    @property
    def stay(self) -> int:
        t = self.timing
        return t.premed_lead_minutes + t.infusion_minutes + t.observation_minutes


def local(d: date, minute: int) -> datetime:
    return datetime.combine(d, time(minute // 60, minute % 60), tzinfo=TZ)


def make_center(day: date = DAY, n_days: int = 1):
    windows = tuple(
        Interval(local(day + timedelta(i), OPEN), local(day + timedelta(i), CLOSE))
        for i in range(n_days)
        if (day + timedelta(i)).weekday() < 5
    )
    center = Center(
        TZ_NAME, windows, turnover_minutes=TURNOVER, stagger_minutes=15, slot_step_minutes=15
    )
    chairs = {
        i: Chair(i, f"C{i}", "bed" if i > N_CHAIRS - N_BEDS else "recliner")
        for i in range(1, N_CHAIRS + 1)
    }
    skills = {
        1: {"chemo", "rems_natalizumab", "rems_alemtuzumab"},
        2: {"chemo", "rems_natalizumab"},
        3: {"chemo", "rems_natalizumab", "rems_alemtuzumab"},
        4: {"chemo", "rems_natalizumab"},
        5: {"chemo", "rems_natalizumab", "rems_alemtuzumab"},
        6: {"chemo", "rems_natalizumab"},
        7: {"chemo"},
        8: {"chemo", "rems_natalizumab"},
    }
    nurses = {
        i: Nurse(i, f"N{i}", frozenset(skills[i]), 4, windows) for i in range(1, N_NURSES + 1)
    }
    return center, chairs, nurses


def make_n_requests(n: int, seed: int, day: date = DAY, first_id: int = 1) -> list[Req]:
    """Exactly n requests for one day (the mix and preferences of make_requests)."""
    out: list[Req] = []
    k = 0
    while len(out) < n:
        out += make_requests(0.99, seed * 100 + k, day, first_id + len(out))
        k += 1
    out = out[:n]
    out.sort(key=lambda r: r.arrives)
    return out


def make_requests(demand: float, seed: int, day: date = DAY, first_id: int = 1) -> list[Req]:
    """Requests for one day until their chair time reaches `demand` of capacity, in the
    order the calls arrive (spread over the 14 days before the day)."""
    rng = random.Random(seed)
    capacity = N_CHAIRS * (CLOSE - OPEN)
    total = 0
    out: list[Req] = []
    weights = [m[4] for m in MIX]
    i = first_id
    beds = 0
    while True:
        name, timing, skill, kind, _ = rng.choices(MIX, weights)[0]
        if kind == "bed":
            # a center books at most MAX_BED_COURSES bed-bound course days a day (4 beds,
            # 7 h 15 min each: more could never fit, whatever the schedule)
            if beds >= MAX_BED_COURSES:
                continue
            beds += 1
        stay = timing.premed_lead_minutes + timing.infusion_minutes + timing.observation_minutes
        if total + stay + TURNOVER > demand * capacity:
            break
        total += stay + TURNOVER
        latest = CLOSE - stay
        if rng.random() < 0.6:
            pref = rng.randrange(8 * 60, 11 * 60 + 1, 15)
        else:
            pref = rng.randrange(OPEN, latest + 1, 15)
        pref = min(pref, latest)
        arrives = local(day, OPEN) - timedelta(minutes=rng.randrange(0, 14 * 24 * 60))
        out.append(Req(i, name, timing, skill, kind, pref, arrives))
        i += 1
    out.sort(key=lambda r: r.arrives)
    return out
