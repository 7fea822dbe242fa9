"""Utilization figures for the nurse manager: chair-hours booked against chair-hours open, by
hour of day and by day, peak concurrency, and nurse load per hour.

A read-only selector. The query count does not depend on the number of sessions or days: the
world loader (center, hours, closures, chairs, nurses with shifts and time off) plus one query
for the sessions in the span.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from scheduling.models import ACTIVE_STATUSES, InfusionSession, SessionStatus
from scheduling.world import day_bounds, load_world

# Sessions that used (or will use) a chair: active ones and those already given.
COUNTED_STATUSES = (*ACTIVE_STATUSES, SessionStatus.COMPLETED)
MAX_SPAN_DAYS = 62


@dataclass
class HourFigure:
    hour: int  # local clock hour, 7 means 07:00-08:00
    chair_hours_open: float = 0.0
    chair_hours_booked: float = 0.0
    nurse_hours_on_shift: float = 0.0
    patient_hours_with_nurse: float = 0.0
    peak_patients_per_nurse: int = 0

    @property
    def percent(self) -> float:
        return (
            100.0 * self.chair_hours_booked / self.chair_hours_open
            if self.chair_hours_open
            else 0.0
        )

    @property
    def nurse_load(self) -> float:
        """Average patients per nurse on shift during this hour."""
        return (
            self.patient_hours_with_nurse / self.nurse_hours_on_shift
            if self.nurse_hours_on_shift
            else 0.0
        )


@dataclass
class DayFigure:
    day: dt.date
    is_open: bool
    chair_hours_open: float = 0.0
    chair_hours_booked: float = 0.0
    sessions: int = 0
    peak_chairs: int = 0
    peak_at: dt.datetime | None = None

    @property
    def percent(self) -> float:
        return (
            100.0 * self.chair_hours_booked / self.chair_hours_open
            if self.chair_hours_open
            else 0.0
        )


@dataclass
class Utilization:
    date_from: dt.date
    date_to: dt.date
    chairs: int
    nurses: int
    by_hour: list[HourFigure] = field(default_factory=list)
    by_day: list[DayFigure] = field(default_factory=list)

    @property
    def chair_hours_open(self) -> float:
        return sum(d.chair_hours_open for d in self.by_day)

    @property
    def chair_hours_booked(self) -> float:
        return sum(d.chair_hours_booked for d in self.by_day)

    @property
    def percent(self) -> float:
        total = self.chair_hours_open
        return 100.0 * self.chair_hours_booked / total if total else 0.0

    @property
    def peak_chairs(self) -> int:
        return max((d.peak_chairs for d in self.by_day), default=0)

    @property
    def peak_day(self) -> DayFigure | None:
        best = max(self.by_day, key=lambda d: d.peak_chairs, default=None)
        return best if best and best.peak_chairs else None


def _overlap_hours(a_start, a_end, b_start, b_end) -> float:
    seconds = (min(a_end, b_end) - max(a_start, b_start)).total_seconds()
    return seconds / 3600 if seconds > 0 else 0.0


def _peak(intervals) -> tuple[int, dt.datetime | None]:
    """Most intervals open at one instant (half-open: an end and a start at the same time
    do not count together)."""
    events = sorted(
        [(s, 1) for s, _ in intervals] + [(e, -1) for _, e in intervals],
        key=lambda ev: (ev[0], ev[1]),
    )
    best, now, at = 0, 0, None
    for when, delta in events:
        now += delta
        if now > best:
            best, at = now, when
    return best, at


def utilization(*, date_from: dt.date, date_to: dt.date) -> Utilization:
    """Chair and nurse figures for center-local days date_from..date_to (inclusive)."""
    if date_to < date_from:
        date_from, date_to = date_to, date_from
    date_to = min(date_to, date_from + dt.timedelta(days=MAX_SPAN_DAYS - 1))
    world = load_world(date_from=date_from, date_to=date_to)
    tz = world.tz
    n_chairs = len(world.chairs)
    span_start, span_end = day_bounds(date_from, tz)[0], day_bounds(date_to, tz)[1]
    rows = list(
        InfusionSession.objects.filter(
            status__in=COUNTED_STATUSES,
            chair_id__in=list(world.chairs),
            start__gte=span_start,
            start__lt=span_end,
        ).values_list("start", "observation_end", "chair_release_at", "nurse_id")
    )

    windows_by_day = {}
    for w in world.center.open_windows:
        windows_by_day.setdefault(w.start.astimezone(tz).date(), []).append(w)
    hours = sorted(
        {
            h
            for ws in windows_by_day.values()
            for w in ws
            for h in range(
                w.start.astimezone(tz).hour,
                (w.end.astimezone(tz) - dt.timedelta(seconds=1)).hour + 1,
            )
        }
    ) or list(range(7, 19))
    by_hour = {h: HourFigure(h) for h in hours}

    rows_by_day: dict[dt.date, list] = {}
    for row in rows:
        rows_by_day.setdefault(row[0].astimezone(tz).date(), []).append(row)

    by_day = []
    day = date_from
    while day <= date_to:
        windows = windows_by_day.get(day, [])
        fig = DayFigure(day=day, is_open=bool(windows))
        day_rows = rows_by_day.get(day, [])
        fig.sessions = len(day_rows)
        fig.peak_chairs, fig.peak_at = _peak([(s, r) for s, _, r, _ in day_rows])
        for hour in hours:
            h0 = dt.datetime.combine(day, dt.time(hour), tzinfo=tz)
            h1 = h0 + dt.timedelta(hours=1)
            figure = by_hour[hour]
            open_h = sum(_overlap_hours(w.start, w.end, h0, h1) for w in windows) * n_chairs
            booked_h = sum(_overlap_hours(s, r, h0, h1) for s, _, r, _ in day_rows)
            figure.chair_hours_open += open_h
            figure.chair_hours_booked += booked_h
            fig.chair_hours_open += open_h
            fig.chair_hours_booked += booked_h
            figure.nurse_hours_on_shift += sum(
                _overlap_hours(i.start, i.end, h0, h1)
                for n in world.nurses.values()
                for i in n.shifts
            )
            figure.patient_hours_with_nurse += sum(
                _overlap_hours(s, o, h0, h1) for s, o, _, nurse in day_rows if nurse
            )
            # The busiest nurse in this hour: most of their patients at one instant.
            per_nurse: dict[int, list] = {}
            for s, o, _, nurse in day_rows:
                if nurse and s < h1 and o > h0:
                    per_nurse.setdefault(nurse, []).append((max(s, h0), min(o, h1)))
            if per_nurse:
                busiest = max(_peak(iv)[0] for iv in per_nurse.values())
                figure.peak_patients_per_nurse = max(figure.peak_patients_per_nurse, busiest)
        by_day.append(fig)
        day += dt.timedelta(days=1)

    return Utilization(
        date_from=date_from,
        date_to=date_to,
        chairs=n_chairs,
        nurses=len(world.nurses),
        by_hour=[by_hour[h] for h in hours],
        by_day=by_day,
    )


# --- chart geometry (server-rendered SVG) --------------------------------------------------------


@dataclass
class Bar:
    label: str
    x: float
    width: float
    # The "capacity" outline and the filled "used" bar, in SVG units (y grows downwards).
    cap_y: float
    cap_height: float
    y: float
    height: float
    value_text: str
    title: str


def bar_chart(items, *, width=640, height=220, pad_left=44, pad_bottom=28, pad_top=16) -> dict:
    """Lay out bars for (label, used, capacity, value_text, title) tuples; capacity may be None."""
    items = list(items)
    plot_w, plot_h = width - pad_left - 8, height - pad_bottom - pad_top
    top = max([max(u, c or 0) for _, u, c, _, _ in items] + [1e-9])
    step = plot_w / max(len(items), 1)
    bar_w = step * 0.7
    bars = []
    for i, (label, used, cap, text, title) in enumerate(items):
        x = pad_left + i * step + (step - bar_w) / 2
        h = plot_h * used / top
        ch = plot_h * (cap or 0) / top
        bars.append(
            Bar(
                label,
                round(x, 1),
                round(bar_w, 1),
                round(pad_top + plot_h - ch, 1),
                round(ch, 1),
                round(pad_top + plot_h - h, 1),
                round(h, 1),
                text,
                title,
            )
        )
    digits = 0 if top >= 20 else (1 if top >= 2 else 2)
    ticks = [round(top * f, digits) for f in (0, 0.5, 1)]
    return {
        "width": width,
        "height": height,
        "bars": bars,
        "baseline": pad_top + plot_h,
        "pad_left": pad_left,
        "label_y": height - 8,
        "ticks": [
            {"value": f"{t:.{digits}f}", "y": round(pad_top + plot_h - plot_h * (t / top), 1)}
            for t in ticks
        ],
    }
