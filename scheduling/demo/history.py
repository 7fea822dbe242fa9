"""Ninety days of history with realistic actual times, in bulk.

Each patient's doses are walked back from the day the next one falls due (every interval,
moved to a nearby open day), placed on a real chair with a real nurse by the placer, and
written in bulk as what happened: completed with actual times drawn in scheduling.demo.actual,
or a no-show or a late cancellation followed by a make-up dose a few days later. The booking
services refuse the past, so this is the bulk path (as services.record_past_dose is for one
dose), with an audit row per session. Ocrevus-like patients (every six months) have their last
dose recorded even when it is older than ninety days, so their next dose falls due correctly.
"""

from __future__ import annotations

import datetime as dt

from scheduling import engine
from scheduling.demo.actual import actual_times, stamp
from scheduling.demo.center import HISTORY_DAYS
from scheduling.demo.context import booked_at_kept
from scheduling.models import AuditEvent, InfusionSession

DAY_SHIFTS = (0, -1, -2, 1, -3, 2, -4)  # earlier first: the next dose then stays in its window
MAKE_UP_DAYS = (2, 3, 4, 5, 6, 7, 8, 9, 10)


def _timeline(demo, plan, dose_number: int):
    rule = engine.rule_for(demo.specs(plan.protocol), dose_number, plan.option)
    return rule.timing


def option_for(demo, plan, dose_number: int) -> str:
    specs = demo.specs(plan.protocol)
    if any(r.option == plan.option and r.covers(dose_number) for r in specs):
        return plan.option
    return "standard"


def session_for(demo, plan, dose_number: int, day: dt.date, placement) -> InfusionSession:
    """An unsaved session with the catalogue's phase times from the placer's start."""
    option = option_for(demo, plan, dose_number)
    timing = engine.rule_for(demo.specs(plan.protocol), dose_number, option).timing
    t = engine.build_timeline(demo.at(day, placement.start), timing, demo.center.turnover_minutes)
    return InfusionSession(
        patient=plan.patient,
        protocol=plan.protocol,
        dose_number=dose_number,
        option=option,
        chair_id=placement.chair_id,
        nurse_id=placement.nurse_id,
        status="booked",
        start=t.start,
        premed_start=t.premed_start,
        infusion_start=t.infusion_start,
        infusion_end=t.infusion_end,
        observation_end=t.observation_end,
        chair_release_at=t.chair_release_at,
    )


def place(demo, plan, dose_number: int, day: dt.date, *, exact_minute: int | None = None):
    """A placement on `day` for one dose, or None when the day is full or closed."""
    board = demo.board(day)
    if board is None:
        return None
    option = option_for(demo, plan, dose_number)
    timing = engine.rule_for(demo.specs(plan.protocol), dose_number, option).timing
    return board.place(
        patient_id=plan.patient.pk,
        minutes=engine.session_minutes(timing),
        turnover=demo.center.turnover_minutes,
        skill=plan.protocol.required_skill or None,
        chair_kind=plan.protocol.required_chair_kind or None,
        preferred=exact_minute if exact_minute is not None else plan.preferred,
        exact=exact_minute is not None,
    )


def _units(demo, plan) -> list[list[tuple[int, dt.date]]]:
    """The doses to record, latest first: [(dose number, target day)] per unit (a course is
    one unit of consecutive days)."""
    today = demo.today
    oldest = today - dt.timedelta(days=HISTORY_DAYS)
    if plan.scenario == "course2":  # Lemtrada course 1: five days about a year before
        first = plan.next_due - dt.timedelta(days=plan.interval)
        return [[(n, first + dt.timedelta(days=n - 1)) for n in range(1, 6)]]
    if plan.scenario != "maintenance" and plan.protocol.code != "mitoxantrone":
        return []
    specs = demo.specs(plan.protocol)
    units = []
    k, dose = 1, plan.last_dose
    while dose >= 1:
        rule = engine.rule_for(specs, dose, option_for(demo, plan, dose))
        if k > 1 and (rule.interval_days is None or rule.joins_series):
            break  # the induction before maintenance: before the center's history
        day = plan.next_due - dt.timedelta(days=plan.interval * k)
        if k > 1 and day < oldest:
            break
        units.append([(dose, day)])
        k, dose = k + 1, dose - 1
    return units


def history(demo) -> None:
    """Place and write every past dose (see the module docstring)."""
    desk = demo.users["frontdesk"]
    chains = {plan.patient.pk: _units(demo, plan) for plan in demo.plans}
    by_pk = {plan.patient.pk: plan for plan in demo.plans}
    done: dict[int, list[InfusionSession]] = {pk: [] for pk in chains}
    stopped: set[int] = set()
    sessions: list[InfusionSession] = []
    depth = max((len(c) for c in chains.values()), default=0)
    # Latest doses first, for every patient, then the ones before: a dose that cannot be
    # placed ends that patient's history there, so dose numbers never have a gap.
    for k in range(depth):
        for pk, units in chains.items():
            if k >= len(units) or pk in stopped:
                continue
            plan = by_pk[pk]
            unit = units[k]
            placed = _place_unit(demo, plan, unit)
            if placed is None:
                stopped.add(pk)
                continue
            for dose, day, placement in placed:
                made = _outcome(demo, plan, dose, day, placement, desk)
                sessions += made
                done[pk] += [s for s in made if s.status == "completed"]
    for s in sessions:
        s.created_at = s.updated_at = s._booked_at
    with booked_at_kept(InfusionSession):
        InfusionSession.objects.bulk_create(sessions, batch_size=1000)
    AuditEvent.objects.bulk_create(
        [
            AuditEvent(session=s, action="recorded_past_dose", actor=desk, actor_label="demo")
            for s in sessions
        ],
        batch_size=2000,
    )
    treatments = []
    for pk, given in done.items():
        plan = by_pk[pk]
        given.sort(key=lambda s: s.start)
        plan.history = [
            engine.GivenDose(s.dose_number, s.start.astimezone(demo.tz).date()) for s in given
        ]
        if given:
            plan.treatment.started_on = plan.history[0].on
            plan.treatment.doses_before_center = given[0].dose_number - 1
            treatments.append(plan.treatment)
    from patients.models import PatientProtocol

    PatientProtocol.objects.bulk_update(
        treatments, ["started_on", "doses_before_center"], batch_size=1000
    )
    report = demo.report
    report.past_sessions = sum(1 for s in sessions if s.status == "completed")
    report.past_no_shows = sum(1 for s in sessions if s.status == "no_show")
    report.past_cancelled = sum(1 for s in sessions if s.status == "cancelled")


def _place_unit(demo, plan, unit):
    """[(dose, day, placement)] for a unit on the nearest open day, or None."""
    first_day = unit[0][1]
    for shift in DAY_SHIFTS:
        base = first_day + dt.timedelta(days=shift)
        days = [base + (day - first_day) for _, day in unit]
        if days[-1] >= demo.today:
            continue
        placed = []
        minute = None
        for (dose, _), day in zip(unit, days, strict=True):
            p = place(demo, plan, dose, day, exact_minute=minute)
            if p is None:
                break
            minute = p.start if len(unit) > 1 else None
            placed.append((dose, day, p))
        if len(placed) == len(unit):
            return placed
        # (a course that did not fit keeps the chairs it took: a rare, harmless gap)
    return None


def _outcome(demo, plan, dose: int, day: dt.date, placement, desk) -> list[InfusionSession]:
    """What happened to a placed past dose: given, or missed and made up a few days later."""
    rng = demo.rng
    s = session_for(demo, plan, dose, day, placement)
    lead_days = _lead_days(rng, plan)
    s._booked_at = s.start - dt.timedelta(days=lead_days, hours=rng.randint(1, 9))
    risk = plan.no_show_risk * (1.6 if lead_days > 21 else 1.0)
    r = rng.random()
    if r < risk + 0.045 and plan.scenario == "maintenance":
        made_up = _make_up(demo, plan, dose, day, desk)
        if made_up is not None:
            if r < risk:
                s.status = "no_show"
                s.no_show_at = s.start + dt.timedelta(minutes=rng.randint(45, 90))
                s.no_show_by = desk
            else:
                s.status = "cancelled"
                hours = rng.randint(2, 46) if r < risk + 0.03 else rng.randint(60, 200)
                s.cancelled_at = s.start - dt.timedelta(hours=hours)
                s.cancel_reason = rng.choice(
                    ("Patient unwell", "Transport fell through", "Work conflict", "Family matter")
                )
            return [s, made_up]
    _complete(demo, plan, s, desk)
    return [s]


def _make_up(demo, plan, dose, day, desk) -> InfusionSession | None:
    for extra in MAKE_UP_DAYS:
        d = day + dt.timedelta(days=extra)
        if d >= demo.today:
            return None
        p = place(demo, plan, dose, d)
        if p is not None:
            s = session_for(demo, plan, dose, d, p)
            s._booked_at = s.start - dt.timedelta(days=extra - 1, hours=demo.rng.randint(1, 8))
            _complete(demo, plan, s, desk)
            return s
    return None


def _complete(demo, plan, s: InfusionSession, desk) -> None:
    timing = engine.rule_for(demo.specs(plan.protocol), s.dose_number, s.option).timing
    actual = actual_times(
        demo.rng,
        code=plan.protocol.code,
        premed=timing.premed_lead_minutes,
        infusion=timing.infusion_minutes,
        observation=timing.observation_minutes,
    )
    s.protocol = plan.protocol
    stamp(s, actual, now=demo.now, by_desk=desk, by_nurse=demo.nurse_users.get(s.nurse_id))


def _lead_days(rng, plan) -> int:
    """How long before the day the dose was booked: most at the previous visit."""
    if plan.interval <= 31:
        return plan.interval if rng.random() < 0.6 else rng.randint(1, 20)
    return rng.randint(20, 70) if rng.random() < 0.7 else rng.randint(2, 19)
