"""The summary seed_demo prints: sizes, what was booked, and the demo's own figures."""

from __future__ import annotations

import datetime as dt

from scheduling import selectors
from scheduling.demo.center import BOOKING_DAYS
from scheduling.models import Chair, Closure, Nurse
from scheduling.utilization import utilization


def next_week(today: dt.date) -> tuple[dt.date, dt.date]:
    """Monday to Friday of the coming week."""
    monday = today + dt.timedelta(days=7 - today.weekday())
    return monday, monday + dt.timedelta(days=4)


def weekday_share(first: dt.date, last: dt.date) -> float:
    """Share of weekday (Mon-Fri) chair-hours booked, as the utilization page counts them."""
    u = utilization(date_from=first, date_to=last)
    days = [d for d in u.by_day if d.is_open and d.day.weekday() < 5]
    open_h = sum(d.chair_hours_open for d in days)
    return sum(d.chair_hours_booked for d in days) / open_h if open_h else 0.0


def summary(demo) -> None:
    """The figures the closing lines print (read back from the database)."""
    from analytics.selectors import Filters, attendance, punctuality

    r = demo.report
    r.worklist = len(selectors.due_worklist_refs(today=demo.today))
    first = demo.today + dt.timedelta(days=1)
    r.utilization = weekday_share(first, demo.today + dt.timedelta(days=BOOKING_DAYS))
    r.next_week_utilization = weekday_share(*next_week(demo.today))
    past = Filters(demo.today - dt.timedelta(days=28), demo.today - dt.timedelta(days=1))
    r.on_time = punctuality(past, demo.tz).on_time_pct
    r.no_show = attendance(past, demo.tz).no_show_pct


def lines(report) -> list[str]:
    c = report.created
    today = ", ".join(f"{k} {v}" for k, v in sorted(report.today.items())) or "closed"
    return [
        f"Chairs {Chair.objects.count()} ({Chair.objects.filter(kind='bed').count()} beds), "
        f"nurses {Nurse.objects.count()}, closures {Closure.objects.count()}, "
        f"staff logins created {c['users']}.",
        f"Patients created {c['patients']}, lab results {c['labs']}.",
        f"History: {report.past_sessions} doses given, {report.past_no_shows} no-shows, "
        f"{report.past_cancelled} cancellations.",
        f"Today: {today}.",
        f"Booked {report.booked_sessions} sessions in {report.booked_units} bookings over the "
        f"next {BOOKING_DAYS} days ({report.confirmed} confirmed).",
        "Skipped: "
        + (", ".join(f"{k} {v}" for k, v in sorted(report.skipped.items())) or "none")
        + f"; left unbooked on purpose {report.left_unbooked}.",
        f"Due worklist (28 days): {report.worklist} patients. Weekday chair-hours booked: "
        f"{report.utilization:.0%} over the next two weeks, {report.next_week_utilization:.0%} "
        f"next week.",
        f"Last four weeks: on-time starts {_pct(report.on_time)}, no-shows {_pct(report.no_show)}.",
        f"Done in {report.seconds:.1f} s ("
        + ", ".join(f"{k} {v:.1f}" for k, v in report.step_seconds.items())
        + ").",
    ]


def _pct(value) -> str:
    return "n/a" if value is None else f"{value:.0f}%"
