"""Reads of the planning pages: the patient's week view and the center's week board."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.utils import timezone

from scheduling import engine
from scheduling.models import (
    ACTIVE_STATUSES,
    Chair,
    Closure,
    InfusionSession,
    OpeningHours,
)
from scheduling.world import center_tz, day_bounds

GREEN_MINUTES = 60  # within an hour of the preferred time and no wish broken: a good day


@dataclass
class DayCell:
    day: dt.date
    state: str  # green | amber | grey | closed
    best: engine.Slot | None = None
    note: str = ""


def week_start_of(day: dt.date) -> dt.date:
    return day - dt.timedelta(days=day.weekday())


def patient_week(
    *,
    patient,
    protocol,
    dose_number: int,
    week_start: dt.date,
    option: str = "standard",
    series: bool = False,
) -> list[DayCell]:
    """Seven days from week_start for the patient being booked: green (a slot inside their
    wishes and near their preferred time), amber (a slot, but a wish broken or far from the
    preferred time), grey (open, nothing free that they can take), closed."""
    from scheduling.selectors.availability import availability

    tz = center_tz()
    today = timezone.now().astimezone(tz).date()
    days = [week_start + dt.timedelta(days=i) for i in range(7)]
    hours = {h.weekday for h in OpeningHours.objects.all()}
    closed = set(Closure.objects.filter(date__in=days).values_list("date", flat=True))
    searchable = [d for d in days if d >= today and d.weekday() in hours and d not in closed]
    best: dict[dt.date, engine.Slot] = {}
    if searchable:
        slots = availability(
            patient=patient,
            protocol=protocol,
            dose_number=dose_number,
            date_from=searchable[0],
            date_to=searchable[-1],
            limit=2 * len(searchable),
            option=option,
            series=series,
            spread="days",
        )
        for s in slots:
            d = s.start.astimezone(tz).date()
            best.setdefault(d, s)
    cells = []
    for d in days:
        if d < today:
            cells.append(DayCell(d, "closed", note="past"))
        elif d.weekday() not in hours or d in closed:
            cells.append(DayCell(d, "closed", note="closed"))
        elif d not in best:
            cells.append(DayCell(d, "grey", note="nothing free that fits"))
        else:
            s = best[d]
            pref = s.score_parts.get("preferred_time", 0.0)
            wishes = s.score_parts.get("wishes", 0.0)
            # preferred_time is 1.0 per hour off the preferred start (engine/search.py).
            good = wishes == 0 and pref * 60 <= GREEN_MINUTES + 1e-6
            cells.append(
                DayCell(
                    d,
                    "green" if good else "amber",
                    s,
                    "fits their wishes" if good else "possible, not their best time",
                )
            )
    return cells


@dataclass
class BoardDay:
    day: dt.date
    open: bool
    booked_curve: list[tuple[int, float]] = field(default_factory=list)
    template_curve: list[tuple[int, float]] = field(default_factory=list)
    sessions: int = 0
    peak: int = 0


@dataclass
class WeekBoard:
    week_start: dt.date
    days: list[BoardDay]
    chairs: list[Chair]
    cells: dict[tuple[int, dt.date], int]  # (chair id, day) -> percent of open time booked
    template_name: str | None


def week_board(*, week_start: dt.date, step_minutes: int = 15) -> WeekBoard:
    """Chairs x days occupancy for a week, with each day's booked occupancy curve beside the
    published template's. Five queries whatever the number of sessions."""
    from scheduling.models import TemplateStatus, WeeklyTemplate
    from scheduling.planning.templates import to_engine

    tz = center_tz()
    days = [week_start + dt.timedelta(days=i) for i in range(7)]
    hours = {h.weekday: (h.opens, h.closes) for h in OpeningHours.objects.all()}
    closed = set(Closure.objects.filter(date__in=days).values_list("date", flat=True))
    chairs = list(Chair.objects.filter(active=True).order_by("display_order", "name"))
    a = day_bounds(days[0], tz)[0]
    b = day_bounds(days[-1], tz)[1]
    rows = list(
        InfusionSession.objects.filter(
            status__in=ACTIVE_STATUSES + ("completed",), start__lt=b, chair_release_at__gt=a
        ).values_list("chair_id", "start", "chair_release_at")
    )
    tpl_row = (
        WeeklyTemplate.objects.filter(status=TemplateStatus.PUBLISHED)
        .prefetch_related("starts")
        .first()
    )
    tpl = to_engine(tpl_row) if tpl_row else None
    turnover = None
    cells: dict[tuple[int, dt.date], int] = {}
    out_days = []
    by_day: dict[dt.date, list] = {d: [] for d in days}
    for chair_id, s, r in rows:
        d = s.astimezone(tz).date()
        if d in by_day:
            by_day[d].append((chair_id, s.astimezone(tz), r.astimezone(tz)))
    if tpl is not None:
        from scheduling.models import CenterSettings

        turnover = CenterSettings.load().turnover_minutes
    for d in days:
        h = hours.get(d.weekday())
        if h is None or d in closed:
            out_days.append(BoardDay(d, False))
            continue
        o = dt.datetime.combine(d, h[0], tzinfo=tz)
        c = dt.datetime.combine(d, h[1], tzinfo=tz)
        open_min = (c - o).total_seconds() / 60
        per_chair: dict[int, float] = {}
        for chair_id, s, r in by_day[d]:
            lo, hi = max(s, o), min(r, c)
            if hi > lo:
                per_chair[chair_id] = per_chair.get(chair_id, 0) + (hi - lo).total_seconds() / 60
        for ch in chairs:
            cells[(ch.pk, d)] = round(100 * per_chair.get(ch.pk, 0) / open_min) if open_min else 0
        curve = []
        t = o
        while t < c:
            busy = sum(1 for _, s, r in by_day[d] if s <= t < r)
            curve.append((t.hour * 60 + t.minute, busy))
            t += dt.timedelta(minutes=step_minutes)
        tcurve = tpl.occupancy_curve(d.weekday(), turnover) if tpl is not None else []
        out_days.append(
            BoardDay(
                d,
                True,
                curve,
                [(m, float(v)) for m, v in tcurve],
                len(by_day[d]),
                max((v for _, v in curve), default=0),
            )
        )
    return WeekBoard(week_start, out_days, chairs, cells, tpl_row.name if tpl_row else None)
