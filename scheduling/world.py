"""Translate the clinic's rows into the engine's plain data, for a span of days.

A fixed handful of queries whatever the number of sessions (center, hours, closures, chairs,
nurses with shifts and time off, active sessions), so availability stays fast and flat.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.db import connection
from django.db.models.expressions import RawSQL

from scheduling import engine
from scheduling.models import (
    ACTIVE_STATUSES,
    CenterSettings,
    Chair,
    Closure,
    DoseRule,
    InfusionSession,
    Nurse,
    NurseShift,
    NurseTimeOff,
    OpeningHours,
    Protocol,
)


@dataclass
class World:
    center_row: CenterSettings
    center: engine.Center
    chairs: dict[int, engine.Chair]
    nurses: dict[int, engine.Nurse]
    busy: list[engine.BusySession]

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.center_row.time_zone)


def center_tz() -> ZoneInfo:
    """The center's clock: opening hours, rosters and dose dates are read in it."""
    return ZoneInfo(CenterSettings.load().time_zone)


def local_dt(day: dt.date, clock: dt.time, tz: ZoneInfo) -> dt.datetime:
    return dt.datetime.combine(day, clock, tzinfo=tz)


def day_bounds(day: dt.date, tz: ZoneInfo) -> tuple[dt.datetime, dt.datetime]:
    """[local midnight, next local midnight) of a center-local day, DST-correct."""
    return local_dt(day, dt.time(0), tz), local_dt(day + dt.timedelta(days=1), dt.time(0), tz)


def _days(first: dt.date, last: dt.date):
    d = first
    while d <= last:
        yield d
        d += dt.timedelta(days=1)


def load_world(
    *,
    date_from: dt.date,
    date_to: dt.date,
    exclude_session_ids: tuple[int, ...] = (),
    chair_ids: tuple[int, ...] | None = None,
    nurse_ids: tuple[int, ...] | None = None,
    patient_id: int | None = None,
    base: World | None = None,
) -> World:
    """Everything the engine needs for center-local days date_from..date_to (inclusive).

    chair_ids/nurse_ids/patient_id narrow the busy sessions loaded (a booking's re-check after
    taking locks); by default every active session in the span is loaded. With `base` (a world
    already loaded for the same days) only the busy sessions are read again.
    """
    if base is not None:
        busy = _busy(
            date_from, date_to, base.tz, exclude_session_ids, chair_ids, nurse_ids, patient_id
        )
        return World(base.center_row, base.center, base.chairs, base.nurses, busy)
    center_row = CenterSettings.load()
    tz = ZoneInfo(center_row.time_zone)
    if connection.vendor == "postgresql":
        center, chairs, nurses = _clinic_pg(center_row, tz, date_from, date_to)
    else:
        center, chairs, nurses = _clinic(center_row, tz, date_from, date_to)
    busy = _busy(date_from, date_to, tz, exclude_session_ids, chair_ids, nurse_ids, patient_id)
    return World(center_row, center, chairs, nurses, busy)


def _clinic(center_row, tz, date_from, date_to):
    """Opening windows, chairs and nurses (shifts less time off and closures) for the span."""
    hours = {h.weekday: (h.opens, h.closes) for h in OpeningHours.objects.all()}
    closed = set(
        Closure.objects.filter(date__gte=date_from, date__lte=date_to).values_list(
            "date", flat=True
        )
    )
    chairs = [(c.id, c.name, c.kind, c.features) for c in Chair.objects.filter(active=True)]
    nurses = [
        (
            n.id,
            n.name,
            n.skills,
            n.max_concurrent_patients,
            [(s.weekday, s.start, s.end) for s in n.shifts.all()],
            [(o.start_date, o.end_date) for o in n.time_off.all()],
        )
        for n in Nurse.objects.filter(active=True).prefetch_related("shifts", "time_off")
    ]
    return _build_clinic(center_row, tz, date_from, date_to, hours, closed, chairs, nurses)


# One statement for hours, closures, chairs and nurses with shifts and time off (each list in
# the ORM's order): five round trips and their query compilation were most of a world's load.
_CLINIC_SQL = """
SELECT json_build_object(
  'hours', (SELECT coalesce(json_agg(json_build_array(weekday, opens, closes)), '[]') FROM {hours}),
  'closed', (SELECT coalesce(json_agg(date), '[]') FROM {closure} WHERE date >= %s AND date <= %s),
  'chairs', (SELECT coalesce(json_agg(json_build_array(id, name, kind, features)
                                      ORDER BY display_order, name), '[]') FROM {chair} WHERE active),
  'nurses', (SELECT coalesce(json_agg(json_build_array(n.id, n.name, n.skills, n.max_concurrent_patients,
      (SELECT coalesce(json_agg(json_build_array(s.weekday, s.start, s."end") ORDER BY s.weekday, s.start), '[]')
         FROM {shift} s WHERE s.nurse_id = n.id),
      (SELECT coalesce(json_agg(json_build_array(o.start_date, o.end_date)), '[]')
         FROM {off} o WHERE o.nurse_id = n.id)) ORDER BY n.name), '[]')
    FROM {nurse} n WHERE n.active)
)::text
"""

# Built clinic parts by (the statement's text answer, first day, last day): the same answer
# gives the same objects, so an edit anywhere is seen by the next search.
_BUILT: dict[tuple, tuple] = {}
_BUILT_MAX = 256


def _clinic_pg(center_row, tz, date_from, date_to):
    sql = _CLINIC_SQL.format(
        hours=OpeningHours._meta.db_table,
        closure=Closure._meta.db_table,
        chair=Chair._meta.db_table,
        shift=NurseShift._meta.db_table,
        off=NurseTimeOff._meta.db_table,
        nurse=Nurse._meta.db_table,
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [date_from, date_to])
        text = cursor.fetchone()[0]
    key = (
        text,
        center_row.time_zone,
        center_row.turnover_minutes,
        center_row.stagger_minutes,
        center_row.slot_step_minutes,
        date_from,
        date_to,
    )
    hit = _BUILT.get(key)
    if hit is not None:
        return hit
    data = json.loads(text)
    clock = dt.time.fromisoformat
    day = dt.date.fromisoformat
    hours = {w: (clock(a), clock(b)) for w, a, b in data["hours"]}
    closed = {day(d) for d in data["closed"]}
    nurses = [
        (
            i,
            name,
            skills,
            maxc,
            [(w, clock(a), clock(b)) for w, a, b in shifts],
            [(day(a), day(b)) for a, b in off],
        )
        for i, name, skills, maxc, shifts, off in data["nurses"]
    ]
    built = _build_clinic(center_row, tz, date_from, date_to, hours, closed, data["chairs"], nurses)
    if len(_BUILT) >= _BUILT_MAX:
        _BUILT.clear()
    _BUILT[key] = built
    return built


def _build_clinic(center_row, tz, date_from, date_to, hours, closed, chair_rows, nurse_rows):
    open_windows = []
    for day in _days(date_from, date_to):
        h = hours.get(day.weekday())
        if h is None or day in closed:
            continue
        open_windows.append(engine.Interval(local_dt(day, h[0], tz), local_dt(day, h[1], tz)))
    center = engine.Center(
        time_zone=center_row.time_zone,
        open_windows=tuple(open_windows),
        turnover_minutes=center_row.turnover_minutes,
        stagger_minutes=center_row.stagger_minutes,
        slot_step_minutes=center_row.slot_step_minutes,
    )
    chairs = {
        i: engine.Chair(id=i, name=name, kind=kind, features=frozenset(features or ()))
        for i, name, kind, features in chair_rows
    }
    nurses = {}
    for i, name, skills, max_concurrent, shift_rows, off_rows in nurse_rows:
        off_days = set()
        for start_date, end_date in off_rows:
            if end_date >= date_from and start_date <= date_to:
                off_days.update(_days(max(start_date, date_from), min(end_date, date_to)))
        shifts = []
        by_weekday: dict[int, list] = {}
        for weekday, start, end in shift_rows:
            by_weekday.setdefault(weekday, []).append((start, end))
        for day in _days(date_from, date_to):
            if day in off_days or day in closed:
                continue
            for start, end in by_weekday.get(day.weekday(), ()):
                shifts.append(engine.Interval(local_dt(day, start, tz), local_dt(day, end, tz)))
        nurses[i] = engine.Nurse(
            id=i,
            name=name,
            skills=frozenset(skills or ()),
            max_concurrent=max_concurrent,
            shifts=tuple(sorted(shifts, key=lambda iv: iv.start)),
        )
    return center, chairs, nurses


def _busy(date_from, date_to, tz, exclude_session_ids, chair_ids, nurse_ids, patient_id):
    """Active sessions touching the span (a day either side, for sessions crossing midnight)."""
    span_start = day_bounds(date_from, tz)[0] - dt.timedelta(days=1)
    span_end = day_bounds(date_to, tz)[1] + dt.timedelta(days=1)
    qs = InfusionSession.objects.filter(
        status__in=ACTIVE_STATUSES, start__lt=span_end, chair_release_at__gt=span_start
    ).exclude(id__in=exclude_session_ids)
    if chair_ids is not None or nurse_ids is not None or patient_id is not None:
        from django.db.models import Q

        narrow = Q(pk__in=[])
        if chair_ids:
            narrow |= Q(chair_id__in=chair_ids)
        if nurse_ids:
            narrow |= Q(nurse_id__in=nurse_ids)
        if patient_id is not None:
            narrow |= Q(patient_id=patient_id)
        qs = qs.filter(narrow)
    fields = ("id", "patient_id", "chair_id", "nurse_id")
    if connection.vendor == "postgresql":
        # Thousands of timestamps per search: reading them as epoch seconds and building the
        # datetimes in C is ~10x faster than Django's per-value timestamptz loader.
        qs = qs.annotate(
            _s=RawSQL('EXTRACT(EPOCH FROM "scheduling_infusionsession"."start")::float8', ()),
            _o=RawSQL(
                'EXTRACT(EPOCH FROM "scheduling_infusionsession"."observation_end")::float8', ()
            ),
            _r=RawSQL(
                'EXTRACT(EPOCH FROM "scheduling_infusionsession"."chair_release_at")::float8', ()
            ),
        )
        utc = dt.UTC
        return [
            engine.BusySession(
                id=i,
                patient_id=p,
                chair_id=c,
                nurse_id=n,
                start=dt.datetime.fromtimestamp(s, utc),
                observation_end=dt.datetime.fromtimestamp(o, utc),
                chair_release_at=dt.datetime.fromtimestamp(r, utc),
            )
            for i, p, c, n, s, o, r in qs.values_list(*fields, "_s", "_o", "_r")
        ]
    return [
        engine.BusySession(
            id=i,
            patient_id=p,
            chair_id=c,
            nurse_id=n,
            start=s,
            observation_end=o,
            chair_release_at=r,
        )
        for i, p, c, n, s, o, r in qs.values_list(
            *fields, "start", "observation_end", "chair_release_at"
        )
    ]


def dose_rule_specs(protocol: Protocol) -> list[engine.DoseRuleSpec]:
    """The protocol's dose rules as the engine's plain specs (uses a prefetch when present)."""
    rules = protocol.dose_rules.all()
    return [spec_from_rule(r) for r in rules]


def spec_from_rule(r: DoseRule) -> engine.DoseRuleSpec:
    return engine.DoseRuleSpec(
        from_dose=r.from_dose,
        to_dose=r.to_dose,
        option=r.option,
        timing=engine.DoseTiming(r.premed_lead_minutes, r.infusion_minutes, r.observation_minutes),
        interval_days=r.interval_days,
        interval_anchor=r.interval_anchor,
        min_interval_days=r.min_interval_days,
        window_early_days=r.window_early_days,
        window_late_days=r.window_late_days,
        joins_series=r.joins_series,
        optional=r.optional,
        dose_amount=float(r.dose_amount) if r.dose_amount is not None else None,
    )


def max_doses(protocol: Protocol, specs: list[engine.DoseRuleSpec]) -> int | None:
    """Lifetime cap as a number of full doses (mitoxantrone 140 / 12 → 11), else None."""
    if protocol.lifetime_cap is None:
        return None
    amounts = [s.dose_amount for s in specs if s.dose_amount]
    if not amounts:
        return None
    return engine.max_doses_for_cap(float(Decimal(protocol.lifetime_cap)), max(amounts))
