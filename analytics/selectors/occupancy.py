"""Chairs and nurses: chair-hours booked and actually used by hour and by day, peak-to-mean
occupancy, nurse load and its spread, and how many infusions a nurse started in one stagger
slot. Aggregated in PostgreSQL (a handful of queries whatever the number of sessions); the
open chair-hours come from the world loader (center, hours, closures, chairs).

Booked chair time runs from the planned start to the chair's release (observation end plus
turnover), as on the utilization page, for sessions that held their chair (booked, confirmed,
under way, completed, or a no-show). Actual chair time runs from seated (in_chair_at) to
discharged (completed_at; now while still in the chair) plus the turnover.
"""

from __future__ import annotations

import datetime as dt
import statistics
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from django.db import connection
from django.db.models import (
    Count,
    DateTimeField,
    DurationField,
    ExpressionWrapper,
    F,
    Q,
    Sum,
    Value,
)
from django.db.models.functions import Coalesce, Least
from django.utils import timezone

from analytics.selectors.filters import Filters, sessions_in
from scheduling.models import ACTIVE_STATUSES, CenterSettings, Chair, SessionStatus
from scheduling.world import load_world

HELD_CHAIR = (*ACTIVE_STATUSES, SessionStatus.COMPLETED, SessionStatus.NO_SHOW)


def _share(part: float, whole: float) -> float | None:
    return round(100.0 * part / whole, 1) if whole else None


@dataclass
class HourOccupancy:
    hour: int
    open: float = 0.0  # chair-hours
    booked: float = 0.0
    actual: float = 0.0

    @property
    def booked_pct(self) -> float | None:
        return _share(self.booked, self.open)

    @property
    def actual_pct(self) -> float | None:
        return _share(self.actual, self.open)


@dataclass
class DayOccupancy:
    day: dt.date
    is_open: bool
    open_hours: float = 0.0  # hours the center is open that day
    open: float = 0.0  # chair-hours
    booked: float = 0.0
    actual: float = 0.0
    peak_booked: int = 0
    peak_actual: int = 0

    @property
    def booked_pct(self) -> float | None:
        return _share(self.booked, self.open)

    @property
    def actual_pct(self) -> float | None:
        return _share(self.actual, self.open)

    @property
    def mean_booked(self) -> float:
        """Chairs in use on average over the open hours."""
        return self.booked / self.open_hours if self.open_hours else 0.0

    @property
    def peak_to_mean(self) -> float | None:
        return round(self.peak_booked / self.mean_booked, 2) if self.mean_booked else None


@dataclass
class Occupancy:
    chairs: int
    by_hour: list[HourOccupancy] = field(default_factory=list)
    by_day: list[DayOccupancy] = field(default_factory=list)

    @property
    def open(self) -> float:
        return sum(d.open for d in self.by_day)

    @property
    def booked(self) -> float:
        return sum(d.booked for d in self.by_day)

    @property
    def actual(self) -> float:
        return sum(d.actual for d in self.by_day)

    @property
    def booked_pct(self) -> float | None:
        return _share(self.booked, self.open)

    @property
    def actual_pct(self) -> float | None:
        return _share(self.actual, self.open)

    @property
    def peak_to_mean(self) -> float | None:
        """Mean over the open days with sessions: 1.0 is a flat chair curve."""
        ratios = [d.peak_to_mean for d in self.by_day if d.peak_to_mean]
        return round(statistics.fmean(ratios), 2) if ratios else None


def _held(filters: Filters, tz: ZoneInfo, turnover: int):
    now = Value(timezone.now(), output_field=DateTimeField())
    # Still in the chair: used until now (never past a day's end if a discharge was missed).
    actual_end = ExpressionWrapper(
        Least(Coalesce(F("completed_at"), now), F("observation_end") + dt.timedelta(hours=6))
        + dt.timedelta(minutes=turnover),
        output_field=DateTimeField(),
    )
    return (
        sessions_in(filters, tz, hour=False)
        .filter(status__in=HELD_CHAIR)
        .annotate(_a1=actual_end)
        .values_list("start", "chair_release_at", "in_chair_at", "_a1")
    )


_HOURS_SQL = """
WITH s(b0, b1, a0, a1) AS ({inner}),
h AS (
  SELECT s.*, g AS h0 FROM s, LATERAL generate_series(
    date_trunc('hour', LEAST(s.b0, COALESCE(s.a0, s.b0))),
    GREATEST(s.b1, CASE WHEN s.a0 IS NULL THEN s.b1 ELSE s.a1 END) - interval '1 microsecond',
    interval '1 hour') AS g
)
SELECT (h0 AT TIME ZONE %s)::date, EXTRACT(HOUR FROM h0 AT TIME ZONE %s)::int,
  SUM(GREATEST(0, EXTRACT(EPOCH FROM LEAST(b1, h0 + interval '1 hour') - GREATEST(b0, h0)))),
  SUM(CASE WHEN a0 IS NULL THEN 0 ELSE
      GREATEST(0, EXTRACT(EPOCH FROM LEAST(a1, h0 + interval '1 hour') - GREATEST(a0, h0))) END)
FROM h GROUP BY 1, 2
"""

# Most chairs in use at one instant per day: +1 at each start, -1 at each release, a running
# sum per local day; a release and a start at the same instant do not count together.
_PEAK_SQL = """
WITH s(b0, b1, a0, a1) AS ({inner}),
e AS (
  SELECT 'b' AS k, b0 AS t, 1 AS d FROM s UNION ALL SELECT 'b', b1, -1 FROM s
  UNION ALL SELECT 'a', a0, 1 FROM s WHERE a0 IS NOT NULL
  UNION ALL SELECT 'a', a1, -1 FROM s WHERE a0 IS NOT NULL
),
r AS (
  SELECT k, (t AT TIME ZONE %s)::date AS day,
    SUM(d) OVER (PARTITION BY k, (t AT TIME ZONE %s)::date ORDER BY t, d
                 ROWS UNBOUNDED PRECEDING) AS c
  FROM e
)
SELECT k, day, MAX(c) FROM r GROUP BY k, day
"""


_HOUR = dt.timedelta(hours=1)


def _hour_rows_py(rows, tz: ZoneInfo) -> list[tuple]:
    """What _HOURS_SQL returns: (local day, local hour, booked seconds, used seconds)."""
    out: dict[tuple, list[float]] = {}
    for b0, b1, a0, a1 in rows:
        lo = min(b0, a0 or b0).replace(minute=0, second=0, microsecond=0)
        hi = max(b1, a1 if a0 else b1)
        h0 = lo
        while h0 < hi:
            h1 = h0 + _HOUR
            local = h0.astimezone(tz)
            cell = out.setdefault((local.date(), local.hour), [0.0, 0.0])
            cell[0] += max(0.0, (min(b1, h1) - max(b0, h0)).total_seconds())
            if a0 is not None:
                cell[1] += max(0.0, (min(a1, h1) - max(a0, h0)).total_seconds())
            h0 = h1
    return [(day, hour, b, a) for (day, hour), (b, a) in out.items()]


def _peak_rows_py(rows, tz: ZoneInfo) -> list[tuple]:
    """What _PEAK_SQL returns: (kind 'b'ooked or 'a'ctual, local day, most chairs at once)."""
    events: dict[tuple, list[tuple]] = {}
    for b0, b1, a0, a1 in rows:
        spans = [("b", b0, b1)] + ([("a", a0, a1)] if a0 is not None else [])
        for kind, t0, t1 in spans:
            for t, d in ((t0, 1), (t1, -1)):
                events.setdefault((kind, t.astimezone(tz).date()), []).append((t, d))
    out = []
    for (kind, day), evs in events.items():
        running = peak = 0
        for _, d in sorted(evs):  # a release (-1) sorts before a start (+1) at one instant
            running += d
            peak = max(peak, running)
        out.append((kind, day, peak))
    return out


def _starts_per_slot_py(rows, slot_seconds: int) -> dict[int, int]:
    """What _SLOTS_SQL returns: {starts by one nurse in one slot: how many such slots}."""
    per: dict[tuple, int] = {}
    for nurse_id, started_at in rows:
        key = (nurse_id, int(started_at.timestamp() // slot_seconds))
        per[key] = per.get(key, 0) + 1
    hist: dict[int, int] = {}
    for n in per.values():
        hist[n] = hist.get(n, 0) + 1
    return dict(sorted(hist.items()))


def occupancy(filters: Filters, tz: ZoneInfo) -> Occupancy:
    """Chair-hours open, booked and used, by clock hour and by day (weekday filter: those days
    only; hour filter: that hour's row only), and the daily peaks. Four queries plus the world."""
    center = CenterSettings.load()
    world = load_world(date_from=filters.date_from, date_to=filters.date_to)
    if filters.area:
        chairs = Chair.objects.filter(active=True, area=filters.area).count()
    else:
        chairs = len(world.chairs)
    held = _held(filters, tz, center.turnover_minutes)
    if connection.vendor == "postgresql":
        inner, params = held.query.sql_with_params()
        zone = str(tz)
        with connection.cursor() as cursor:
            cursor.execute(_HOURS_SQL.format(inner=inner), (*params, zone, zone))
            hour_rows = cursor.fetchall()
            cursor.execute(_PEAK_SQL.format(inner=inner), (*params, zone, zone))
            peak_rows = cursor.fetchall()
    else:
        # The embedded run (SQLite) has no generate_series or AT TIME ZONE: the same rows,
        # computed from one read of the held sessions.
        rows = list(held)
        hour_rows, peak_rows = _hour_rows_py(rows, tz), _peak_rows_py(rows, tz)

    def wanted_day(day: dt.date) -> bool:
        return filters.weekday is None or day.weekday() == filters.weekday

    def wanted_hour(hour: int) -> bool:
        return filters.hour is None or hour == filters.hour

    days: dict[dt.date, DayOccupancy] = {}
    d = filters.date_from
    while d <= filters.date_to:
        if wanted_day(d):
            days[d] = DayOccupancy(day=d, is_open=False)
        d += dt.timedelta(days=1)
    hours: dict[int, HourOccupancy] = {}
    for w in world.center.open_windows:
        day = w.start.astimezone(tz).date()
        if day not in days:
            continue
        fig = days[day]
        fig.is_open = True
        t = w.start
        while t < w.end:
            h0 = t.astimezone(tz).replace(minute=0, second=0, microsecond=0)
            h1 = h0 + dt.timedelta(hours=1)
            part = (min(w.end, h1) - max(w.start, h0)).total_seconds() / 3600
            if wanted_hour(h0.hour):
                hours.setdefault(h0.hour, HourOccupancy(h0.hour)).open += part * chairs
                fig.open_hours += part
                fig.open += part * chairs
            t = h1
    for day, hour, booked, actual in hour_rows:
        if day not in days or not wanted_hour(hour):
            continue
        fig = hours.setdefault(hour, HourOccupancy(hour))
        fig.booked += float(booked) / 3600
        fig.actual += float(actual) / 3600
        days[day].booked += float(booked) / 3600
        days[day].actual += float(actual) / 3600
    for kind, day, peak in peak_rows:
        if day in days:
            if kind == "b":
                days[day].peak_booked = int(peak)
            else:
                days[day].peak_actual = int(peak)
    return Occupancy(
        chairs=chairs,
        by_hour=[hours[h] for h in sorted(hours)],
        by_day=list(days.values()),
    )


# --- nurses ----------------------------------------------------------------------------------


@dataclass
class NurseLoad:
    nurse_id: int
    name: str
    sessions: int
    patient_hours: float  # planned start to observation end, summed
    started: int  # infusions this nurse actually started


@dataclass
class NurseFigures:
    nurses: list[NurseLoad]
    # starts_per_slot[n] = how many (nurse, stagger slot) pairs had n infusion starts
    starts_per_slot: dict[int, int]
    slot_minutes: int

    @property
    def spread(self) -> float | None:
        """Coefficient of variation of patient-hours across nurses (0 = perfectly even)."""
        loads = [n.patient_hours for n in self.nurses]
        if len(loads) < 2 or not statistics.fmean(loads):
            return None
        return round(statistics.pstdev(loads) / statistics.fmean(loads), 2)

    @property
    def crowded_slots(self) -> int:
        """Stagger slots in which one nurse started more than one infusion."""
        return sum(count for n, count in self.starts_per_slot.items() if n > 1)


_SLOTS_SQL = """
WITH s(nurse_id, started_at) AS ({inner})
SELECT n, COUNT(*) FROM (
  SELECT nurse_id, FLOOR(EXTRACT(EPOCH FROM started_at) / %s) AS slot, COUNT(*) AS n
  FROM s GROUP BY 1, 2
) x GROUP BY n ORDER BY n
"""


def nurse_figures(filters: Filters, tz: ZoneInfo) -> NurseFigures:
    """Load per nurse (sessions, patient-hours, starts) and starts per nurse per stagger slot
    (the center's stagger minutes, on actual infusion start times). Two queries."""
    slot_minutes = CenterSettings.load().stagger_minutes or 15
    held = sessions_in(filters, tz).filter(status__in=HELD_CHAIR, nurse__isnull=False)
    rows = (
        held.values("nurse_id", "nurse__name")
        .annotate(
            sessions=Count("id"),
            hours=Sum(
                ExpressionWrapper(F("observation_end") - F("start"), output_field=DurationField())
            ),
            started=Count("id", filter=Q(started_at__isnull=False)),
        )
        .order_by("nurse__name")
    )
    nurses = [
        NurseLoad(
            nurse_id=r["nurse_id"],
            name=r["nurse__name"],
            sessions=r["sessions"],
            patient_hours=round(r["hours"].total_seconds() / 3600, 1) if r["hours"] else 0.0,
            started=r["started"],
        )
        for r in rows
    ]
    inner, params = (
        held.filter(started_at__isnull=False)
        .values_list("nurse_id", "started_at")
        .query.sql_with_params()
    )
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(_SLOTS_SQL.format(inner=inner), (*params, slot_minutes * 60))
            per_slot = {int(n): int(c) for n, c in cursor.fetchall()}
    else:
        per_slot = _starts_per_slot_py(
            held.filter(started_at__isnull=False).values_list("nurse_id", "started_at"),
            slot_minutes * 60,
        )
    return NurseFigures(nurses=nurses, starts_per_slot=per_slot, slot_minutes=slot_minutes)
