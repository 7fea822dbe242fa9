"""Everything the manager's analytics show for one period, against the previous period.

Each table is a list of formatted cells: the page renders them, the CSV export writes the same
cells, and the charts are drawn from the same rows, so the three can never disagree.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.utils import timezone

from analytics.selectors.day import attendance, attendance_by, punctuality, punctuality_by
from analytics.selectors.demand import unmet_demand
from analytics.selectors.filters import Filters
from analytics.selectors.occupancy import nurse_figures, occupancy
from scheduling.world import center_tz


def _num(value, digits: int = 1) -> str:
    if value is None:
        return ""
    return f"{value:.{digits}f}"


@dataclass
class Table:
    id: str
    title: str
    columns: list[str]
    rows: list[list[str]] = field(default_factory=list)
    # Numbers behind the chart: (label, value, capacity or None, second value or None).
    series: list[tuple] = field(default_factory=list)


@dataclass
class Kpi:
    id: str
    label: str
    value: float | None
    previous: float | None
    unit: str  # "%", "min", "" ...
    better: str  # "up" or "down": which way is good
    digits: int = 1

    @property
    def delta(self) -> float | None:
        if self.value is None or self.previous is None:
            return None
        return round(self.value - self.previous, max(self.digits, 1))

    @property
    def improved(self) -> bool | None:
        if not self.delta:
            return None
        return (self.delta > 0) == (self.better == "up")


@dataclass
class Report:
    filters: Filters
    previous: Filters
    kpis: list[Kpi]
    tables: dict[str, Table]


def _punctuality_table(tid, title, first, rows) -> Table:
    table = Table(
        tid,
        title,
        [
            first,
            "Infusions started",
            "On time",
            "On time %",
            "Arrival wait (min)",
            "Drug wait (min)",
            "Planned chair (min)",
            "Actual chair (min)",
        ],
    )
    for r in rows:
        table.rows.append(
            [
                r.label,
                str(r.started),
                str(r.on_time),
                _num(r.on_time_pct),
                _num(r.arrival_wait),
                _num(r.drug_wait),
                _num(r.planned_chair, 0),
                _num(r.actual_chair, 0),
            ]
        )
        table.series.append((r.label, r.on_time_pct or 0.0, 100.0, r.drug_wait, r.arrival_wait))
    return table


def _attendance_table(tid, title, first, rows) -> Table:
    table = Table(
        tid,
        title,
        [
            first,
            "Appointments",
            "No-shows",
            "No-show %",
            "Cancelled < 24 h",
            "< 24 h %",
            "Cancelled < 48 h",
            "< 48 h %",
        ],
    )
    for r in rows:
        table.rows.append(
            [
                r.label,
                str(r.appointments),
                str(r.no_shows),
                _num(r.no_show_pct),
                str(r.late_cancel_24h),
                _num(r.late_cancel_24h_pct),
                str(r.late_cancel_48h),
                _num(r.late_cancel_48h_pct),
            ]
        )
        table.series.append((r.label, r.no_show_pct or 0.0, None, r.late_cancel_48h_pct or 0.0))
    return table


def report(filters: Filters, *, today: dt.date | None = None) -> Report:
    """All figures for the period and the headline ones for the previous period. The query
    count is fixed (about thirty) whatever the number of sessions."""
    tz = center_tz()
    today = today or timezone.now().astimezone(tz).date()
    prev = filters.previous()
    tables: dict[str, Table] = {}

    p_all, p_prev = punctuality(filters, tz), punctuality(prev, tz)
    for by, title, first in (
        ("weekday", "On-time starts by weekday", "Weekday"),
        ("hour", "On-time starts by planned hour", "Hour"),
        ("protocol", "Waits and chair time by protocol", "Protocol"),
    ):
        tid = f"punctuality-by-{by}"
        tables[tid] = _punctuality_table(tid, title, first, punctuality_by(filters, tz, by))

    a_all, a_prev = attendance(filters, tz), attendance(prev, tz)
    for by, title, first in (
        ("protocol", "No-shows and late cancellations by protocol", "Protocol"),
        ("weekday", "No-shows and late cancellations by weekday", "Weekday"),
        ("hour", "No-shows and late cancellations by planned hour", "Hour"),
        ("lead", "No-shows and late cancellations by booking lead time", "Booked ahead"),
    ):
        tid = f"attendance-by-{by}"
        tables[tid] = _attendance_table(tid, title, first, attendance_by(filters, tz, by))

    occ, occ_prev = occupancy(filters, tz), occupancy(prev, tz)
    t = Table(
        "chairs-by-hour",
        "Chair-hours booked and used by hour of day",
        ["Hour", "Open chair-h", "Booked chair-h", "Booked %", "Used chair-h", "Used %"],
    )
    for h in occ.by_hour:
        t.rows.append(
            [
                f"{h.hour:02d}:00",
                _num(h.open),
                _num(h.booked),
                _num(h.booked_pct),
                _num(h.actual),
                _num(h.actual_pct),
            ]
        )
        t.series.append((f"{h.hour:02d}", h.booked, h.open, h.actual))
    tables[t.id] = t
    t = Table(
        "chairs-by-day",
        "Chair-hours booked and used by day",
        [
            "Day",
            "Open chair-h",
            "Booked chair-h",
            "Booked %",
            "Used chair-h",
            "Used %",
            "Peak chairs booked",
            "Peak chairs used",
            "Peak to mean",
        ],
    )
    for d in occ.by_day:
        if not d.is_open and not d.booked:
            continue
        t.rows.append(
            [
                d.day.isoformat(),
                _num(d.open),
                _num(d.booked),
                _num(d.booked_pct),
                _num(d.actual),
                _num(d.actual_pct),
                str(d.peak_booked),
                str(d.peak_actual),
                _num(d.peak_to_mean, 2),
            ]
        )
        t.series.append((d.day.strftime("%d"), d.booked, d.open, d.actual))
    tables[t.id] = t

    nurses, nurses_prev = nurse_figures(filters, tz), nurse_figures(prev, tz)
    t = Table(
        "nurse-load",
        "Nurse load",
        ["Nurse", "Sessions", "Patient-hours", "Infusions started"],
    )
    for n in nurses.nurses:
        t.rows.append([n.name, str(n.sessions), _num(n.patient_hours), str(n.started)])
        t.series.append((n.name.split()[0], n.patient_hours, None, None))
    tables[t.id] = t
    t = Table(
        "starts-per-slot",
        f"Infusion starts per nurse per {nurses.slot_minutes}-minute slot",
        ["Starts in one slot", "Slots"],
    )
    for n, count in sorted(nurses.starts_per_slot.items()):
        t.rows.append([str(n), str(count)])
        t.series.append((str(n), count, None, None))
    tables[t.id] = t

    demand = unmet_demand(filters, today=today)
    t = Table(
        "unmet-demand",
        "No option in the dose window, and overdue patients",
        ["Protocol", "Searches with no option in the window", "Overdue today"],
    )
    for r in demand:
        t.rows.append([r.label, str(r.misses), str(r.overdue)])
        t.series.append((r.label, r.misses, None, r.overdue))
    tables[t.id] = t

    kpis = [
        Kpi("on_time_pct", "On-time starts", p_all.on_time_pct, p_prev.on_time_pct, "%", "up"),
        Kpi("drug_wait", "Drug wait (mean)", p_all.drug_wait, p_prev.drug_wait, "min", "down"),
        Kpi(
            "arrival_wait",
            "Arrival to chair (mean)",
            p_all.arrival_wait,
            p_prev.arrival_wait,
            "min",
            "down",
        ),
        Kpi("no_show_pct", "No-shows", a_all.no_show_pct, a_prev.no_show_pct, "%", "down"),
        Kpi(
            "late_cancel_24h_pct",
            "Cancelled < 24 h",
            a_all.late_cancel_24h_pct,
            a_prev.late_cancel_24h_pct,
            "%",
            "down",
        ),
        Kpi("booked_pct", "Chair-hours booked", occ.booked_pct, occ_prev.booked_pct, "%", "up"),
        Kpi("actual_pct", "Chair-hours used", occ.actual_pct, occ_prev.actual_pct, "%", "up"),
        Kpi(
            "peak_to_mean",
            "Peak to mean chairs",
            occ.peak_to_mean,
            occ_prev.peak_to_mean,
            "",
            "down",
            2,
        ),
        Kpi(
            "nurse_spread",
            "Nurse load spread (CV)",
            nurses.spread,
            nurses_prev.spread,
            "",
            "down",
            2,
        ),
        Kpi(
            "misses",
            "Searches with no option in window",
            float(sum(r.misses for r in demand)),
            None,
            "",
            "down",
            0,
        ),
    ]
    return Report(filters=filters, previous=prev, kpis=kpis, tables=tables)
