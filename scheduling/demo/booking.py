"""Today and the next two weeks, booked through the booking services.

Today is alive at whatever hour the demo is seeded: the patients due today are placed over the
whole day; those whose planned start is still ahead are booked through services.book_session;
those whose start has passed are written as booked (no service books the past) and the day so
far is charted through the lifecycle services with `at=` (scheduling.demo.actual.live: checked
in, seated, REMS-checked, started, ended, discharged, or a no-show), leaving one late arrival
still "confirmed" on the board.

Then every patient due in the next two weeks (the due worklist) is booked through the services:
courses and new-start series first (selectors.availability + services.book_series), then single
doses, most overdue first, on the day nearest the due date with the placer proposing chair,
nurse and time and services.book_session checking them again. Some due patients are left for
the coordinator's worklist on purpose.
"""

from __future__ import annotations

import datetime as dt

from scheduling import engine, selectors, services
from scheduling.demo.actual import actual_times, live
from scheduling.demo.center import BOOKING_DAYS
from scheduling.demo.context import booked_at_kept
from scheduling.demo.history import option_for, place, session_for
from scheduling.exceptions import BookingConflict, SchedulingError, SpacingViolation
from scheduling.models import AuditEvent, InfusionSession

OVERRIDE_REASON = "demo: catch-up"
LEAD_MINUTES = 5  # a start closer than this to now is written as the day's past


def today(demo) -> None:
    """Fill today (see the module docstring)."""
    if not demo.is_open(demo.today):
        return
    desk = demo.users["frontdesk"]
    now = demo.now
    day = demo.today
    todo = []
    for plan in demo.plans:
        if not plan.book or not plan.history or plan.scenario != "maintenance":
            continue
        specs = demo.specs(plan.protocol)
        due = engine.next_due(specs, plan.history, option=plan.option)
        if due is None or due.due_date is None:
            continue
        if due.due_date <= day and (due.window_end or due.due_date) >= day:
            todo.append((plan, due))
    written = []
    closes = demo.at(day, demo.hours[day.weekday()][1])
    for plan, due in sorted(todo, key=lambda t: (t[1].due_date, t[0].preferred)):
        dose = due.dose_number
        placement = place(demo, plan, dose, day)
        if placement is None:
            continue
        start = demo.at(day, placement.start)
        in_window = due.window_start is None or due.window_start <= day
        reason = "" if in_window else OVERRIDE_REASON
        if start >= now + dt.timedelta(minutes=LEAD_MINUTES):
            session = _book_single(demo, plan, dose, start, placement, reason)
            if session is not None:
                demo.report.today[session.status] += 1
                plan.booked = True
            continue
        s = session_for(demo, plan, dose, day, placement)
        s.override_reason = reason
        s.protocol = plan.protocol
        s.created_by = desk
        s._booked_at = start - dt.timedelta(days=plan.interval if plan.interval <= 31 else 40)
        s._plan = plan
        if demo.rng.random() < 0.5:
            s.status, s.confirmed_at = "confirmed", start - dt.timedelta(days=2)
        written.append(s)
        plan.booked = True
    # Written as they were booked (the services never book the past), then the day so far
    # charted through the lifecycle services.
    for s in written:
        s.created_at = s.updated_at = s._booked_at
    with booked_at_kept(InfusionSession):
        InfusionSession.objects.bulk_create(written)
    late_one = None
    for s in written:
        plan = s._plan
        timing = engine.rule_for(demo.specs(plan.protocol), s.dose_number, s.option).timing
        actual = actual_times(
            demo.rng,
            code=plan.protocol.code,
            premed=timing.premed_lead_minutes,
            infusion=timing.infusion_minutes,
            observation=timing.observation_minutes,
        )
        if late_one is None and s.start + dt.timedelta(minutes=30) < now < closes:
            # One patient of the morning has not come yet (the board marks the late arrival:
            # the coordinator calls them, or marks the no-show after the grace time).
            late_one = s
            status = s.status
        elif demo.rng.random() < plan.no_show_risk and now > s.start + dt.timedelta(minutes=60):
            status = services.mark_no_show(
                session=s, by=desk, at=s.start + dt.timedelta(minutes=60)
            ).status
        else:
            nurse_user = demo.nurse_users.get(s.nurse_id)
            try:
                status = live(s, actual, now=now, by_desk=desk, by_nurse=nurse_user)
            except SchedulingError as exc:  # a rule of the day refused a step: stop there
                demo.report.skipped[f"day step refused ({type(exc).__name__})"] += 1
                s.refresh_from_db(fields=["status"])
                status = s.status
        demo.report.today[status] += 1
    AuditEvent.objects.bulk_create(
        [AuditEvent(session=s, action="booked", actor=desk, actor_label="demo") for s in written]
    )


def _book_single(demo, plan, dose, start, placement, reason):
    """services.book_session with the placer's chair and nurse; the override reason only when
    the service says the day is outside the window (as a coordinator would)."""
    by = demo.users["frontdesk"]
    kwargs = dict(
        patient=plan.patient,
        protocol=plan.protocol,
        dose_number=dose,
        start=start,
        by=by,
        chair=demo.chairs[placement.chair_id],
        nurse=demo.nurses[placement.nurse_id] if placement.nurse_id else None,
        option=option_for(demo, plan, dose),
    )
    try:
        try:
            return services.book_session(**kwargs, override_reason=reason)
        except SpacingViolation as exc:
            if exc.field != "override_reason" or reason:
                raise
            return services.book_session(**kwargs, override_reason=OVERRIDE_REASON)
    except BookingConflict:
        demo.report.skipped["conflict"] += 1
    except SchedulingError as exc:
        demo.report.skipped[f"refused ({type(exc).__name__})"] += 1
    return None


def bookings(demo) -> None:
    """Book the next two weeks (see the module docstring)."""
    by_patient = {p.patient.pk: p for p in demo.plans}
    last_day = demo.today + dt.timedelta(days=BOOKING_DAYS)
    due = selectors.due_worklist(today=demo.today, horizon_days=BOOKING_DAYS)
    series, singles = [], []
    for item in due:
        plan = by_patient.get(item.patient.pk)
        if plan is None or item.protocol.pk != plan.protocol.pk:
            continue
        if not plan.book:
            demo.report.left_unbooked += 1
            continue
        specs = demo.specs(plan.protocol)
        legs = engine.series_legs(specs, item.dose_number, plan.option, plan.series_length)
        (series if len(legs) > 1 else singles).append((plan, item, legs))
    for plan, item, _legs in sorted(series, key=lambda t: (-len(t[2]), t[1].due_date)):
        _book_series(demo, plan, item, last_day)
    singles.sort(key=lambda t: (-t[1].overdue_days, t[1].due_date, t[0].patient.pk))
    for plan, item, _ in singles:
        _book_due(demo, plan, item, last_day)


def _days_to_try(demo, item, last_day):
    tomorrow = demo.today + dt.timedelta(days=1)
    lo = max(d for d in (item.window_start, item.earliest_date, tomorrow) if d)
    hi = min(item.window_end or last_day, last_day)
    if hi < lo:  # overdue past the window: the first days that have room, with a reason
        lo, hi = tomorrow, min(tomorrow + dt.timedelta(days=6), last_day)
    target = min(max(item.due_date or lo, lo), hi)
    days = [lo + dt.timedelta(days=i) for i in range((hi - lo).days + 1)]
    return sorted(days, key=lambda d: (abs((d - target).days), d))


def _book_due(demo, plan, item, last_day) -> None:
    for day in _days_to_try(demo, item, last_day):
        placement = place(demo, plan, item.dose_number, day)
        if placement is None:
            continue
        start = demo.at(day, placement.start)
        session = _book_single(demo, plan, item.dose_number, start, placement, "")
        if session is not None:
            _booked(demo, plan, [session])
            return
    demo.report.skipped["no free slot"] += 1


def _book_series(demo, plan, item, last_day) -> None:
    """A course or a new start's series: the engine finds the consecutive days."""
    tomorrow = demo.today + dt.timedelta(days=1)
    lo = max(d for d in (item.window_start, item.earliest_date, tomorrow) if d)
    slots = selectors.availability(
        patient=plan.patient,
        protocol=plan.protocol,
        dose_number=item.dose_number,
        date_from=lo,
        date_to=max(lo, last_day),
        limit=3,
        option=plan.option,
        series=True,
        length=plan.series_length,
    )
    by = demo.users["frontdesk"]
    for slot in slots:
        kwargs = dict(
            patient=plan.patient,
            protocol=plan.protocol,
            start=slot.start,
            by=by,
            first_dose=item.dose_number,
            option=plan.option,
            length=plan.series_length,
        )
        try:
            try:
                made = services.book_series(**kwargs, override_reason="")
            except SpacingViolation as exc:
                if exc.field != "override_reason":
                    raise
                made = services.book_series(**kwargs, override_reason=OVERRIDE_REASON)
        except (BookingConflict, SchedulingError):
            continue
        sessions = list(made.sessions.order_by("start"))
        for s in sessions:  # keep the placer's boards in step with what the engine booked
            board = demo.board(s.start.astimezone(demo.tz).date())
            if board is not None:
                m0 = demo.local_minutes(s.start)
                minutes = demo.local_minutes(s.observation_end) - m0
                turnover = demo.center.turnover_minutes
                board.take(
                    plan.patient.pk,
                    m0,
                    minutes,
                    turnover,
                    board.chair(s.chair_id),
                    board.nurse(s.nurse_id) if s.nurse_id else _no_nurse(),
                )
        _booked(demo, plan, sessions)
        return
    demo.report.skipped["no free slot"] += 1


class _no_nurse:  # noqa: N801 - a stand-in with the two lists take() appends to
    def __init__(self):
        self.busy, self.starts = [], []


def _booked(demo, plan, sessions) -> None:
    report = demo.report
    report.booked_units += 1
    report.booked_sessions += len(sessions)
    first = sessions[0]
    day = first.start.astimezone(demo.tz).date()
    # Patients booked for the next few days have mostly confirmed from their link already.
    if (day - demo.today).days <= 3 and plan.patient.pk % 2 == 0:
        services.confirm(session=first, actor_label="patient link")
        report.confirmed += 1
