"""Property tests for what the template-guided search, fit-me-in and the planner produce: the
independent checker (tests/engine/invariants.py) must find nothing; patients' must windows
hold; fit-me-in never moves a patient's time without the flag, nor a started session."""

from __future__ import annotations

from datetime import date, timedelta
from zoneinfo import ZoneInfo

from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from scheduling.engine import (
    AvailabilityWindow,
    BusyIndex,
    BusySession,
    Center,
    Chair,
    DaySession,
    Nurse,
    PatientAvailability,
    PlanRequest,
    PlanWorld,
    SlotRequest,
    TemplateGuide,
    WeeklyTemplate,
    find_slots,
    fit_me_in,
    plan,
)
from scheduling.engine.template import CLASS_CODES

from .invariants import Rec, check_schedule
from .test_properties import SKILLS, _iv, requests
from .test_properties import worlds as odd_worlds

FAST = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
SOLVER = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@st.composite
def clinic_worlds(draw):
    """Mostly plain clinic days (07-19, nurses on all day), sometimes the odd worlds of
    test_properties (split windows, closures, odd steps, DST dates)."""
    if draw(st.integers(0, 2)) == 0:
        return draw(odd_worlds())
    tzname = draw(st.sampled_from(["America/New_York", "Europe/Paris"]))
    tz = ZoneInfo(tzname)
    d0 = date(2026, 3, 2)
    n_days = draw(st.integers(1, 2))
    windows = tuple(_iv(tz, d0 + timedelta(i), 7 * 60, 19 * 60) for i in range(n_days))
    center = Center(
        tzname,
        windows,
        turnover_minutes=draw(st.sampled_from([0, 15])),
        stagger_minutes=15,
        slot_step_minutes=15,
    )
    chairs = {
        i: Chair(i, f"C{i}", "bed" if i == 1 and draw(st.booleans()) else "recliner")
        for i in range(1, draw(st.integers(2, 5)) + 1)
    }
    nurses = {
        i: Nurse(
            i,
            f"N{i}",
            frozenset(draw(st.sampled_from([SKILLS, ("chemo",)]))),
            draw(st.integers(2, 4)),
            windows,
        )
        for i in range(1, draw(st.integers(1, 3)) + 1)
    }
    return center, chairs, nurses, d0, n_days


@st.composite
def availabilities(draw):
    if draw(st.integers(0, 3)):
        return None
    windows = []
    for _ in range(draw(st.integers(1, 2))):
        a = draw(st.integers(0, 20)) * 60
        windows.append(
            AvailabilityWindow(
                frozenset(draw(st.lists(st.integers(0, 6), min_size=1, max_size=7))),
                a,
                min(24 * 60, a + draw(st.integers(2, 14)) * 60),
                draw(st.sampled_from(["available", "available", "unavailable"])),
                draw(st.sampled_from(["must", "wish"])),
            )
        )
    return PatientAvailability(tuple(windows), draw(st.sampled_from([None, 480, 600, 840])))


@st.composite
def templates(draw, days):
    starts = {}
    for _ in range(draw(st.integers(0, 12))):
        key = (
            draw(st.integers(0, 6)),
            draw(st.integers(24, 68)) * 15,
            draw(st.sampled_from(CLASS_CODES)),
        )
        starts[key] = draw(st.integers(1, 3))
    return WeeklyTemplate(15, {wd: (6 * 60, 23 * 60) for wd in range(7)}, starts)


def _add(book, busy, index, sid, patient_id, placements, skill, kind):
    for p in placements:
        sid += 1
        tl = p.timeline
        b = BusySession(
            sid,
            patient_id,
            p.chair_id,
            p.nurse_id,
            tl.start,
            tl.observation_end,
            tl.chair_release_at,
        )
        busy.append(b)
        if index is not None:
            index.add(b)
        book.append(
            Rec(
                b.id,
                b.patient_id,
                b.chair_id,
                b.nurse_id,
                b.start,
                b.observation_end,
                b.chair_release_at,
                skill,
                kind,
            )
        )
    return sid


def _allowed(avail, placements, tz):
    return avail is None or all(
        avail.allows(p.timeline.start.astimezone(tz), p.timeline.observation_end.astimezone(tz))
        for p in placements
    )


@FAST
@given(data=st.data())
def test_template_guided_stream_keeps_every_invariant(data):
    center, chairs, nurses, d0, n_days = data.draw(clinic_worlds())
    tz = ZoneInfo(center.time_zone)
    guide = TemplateGuide(
        data.draw(templates(n_days)), release_hours=data.draw(st.sampled_from([0, 24, 72]))
    )
    busy, book, index, sid = [], [], BusyIndex(), 0
    for _ in range(data.draw(st.integers(4, 12))):
        req = data.draw(requests(d0, n_days, chairs, nurses))
        avail = data.draw(availabilities())
        req = SlotRequest(**{**req.__dict__, "availability": avail})
        now = (
            data.draw(st.sampled_from([None, center.open_windows[0].start - timedelta(days=5)]))
            if center.open_windows
            else None
        )
        spread = data.draw(st.sampled_from([None, "days", "day"]))
        slots = find_slots(
            center=center,
            chairs=chairs,
            nurses=nurses,
            busy=index,
            request=req,
            guide=guide,
            now=now,
            spread=spread,
        )
        assert len(slots) <= req.limit
        if not slots:
            continue
        slot = slots[data.draw(st.sampled_from([0, len(slots) - 1]))]
        assert _allowed(avail, slot.placements, tz)
        sid = _add(
            book,
            busy,
            index,
            sid,
            req.patient_id,
            slot.placements,
            req.required_skill,
            req.required_chair_kind,
        )
    assert check_schedule(center, chairs, nurses, book) == []
    event(f"booked {min(len(book), 10) // 5 * 5}+")


@SOLVER
@given(data=st.data())
def test_fit_me_in_keeps_every_invariant_and_times_without_the_flag(data):
    center, chairs, nurses, d0, n_days = data.draw(clinic_worlds())
    busy, book, index, sid = [], [], BusyIndex(), 0
    info = {}
    for _ in range(data.draw(st.integers(3, 24))):
        req = data.draw(requests(d0, n_days, chairs, nurses))
        req = SlotRequest(
            **{
                **req.__dict__,
                "legs": req.legs[:1],
                "date_from": d0,
                "date_to": d0,
                "chair_id": None,
                "nurse_id": None,
            }
        )
        slots = find_slots(center=center, chairs=chairs, nurses=nurses, busy=index, request=req)
        if slots:
            before = sid
            sid = _add(
                book,
                busy,
                index,
                sid,
                req.patient_id,
                slots[0].placements,
                req.required_skill,
                req.required_chair_kind,
            )
            for k in range(before + 1, sid + 1):
                info[k] = (req.required_skill, req.required_chair_kind)
    day = [
        DaySession(
            b,
            *info[b.id],
            started=data.draw(st.booleans()) and data.draw(st.booleans()),
            confirmed=data.draw(st.booleans()),
        )
        for b in busy
    ]
    req = data.draw(requests(d0, n_days, chairs, nurses))
    req = SlotRequest(
        **{
            **req.__dict__,
            "legs": req.legs[:1],
            "patient_id": 999,
            "chair_id": None,
            "nurse_id": None,
        }
    )
    shift = data.draw(st.sampled_from([0, 0, 30, 60]))
    fp = fit_me_in(
        center=center,
        chairs=chairs,
        nurses=nurses,
        day_sessions=day,
        request=req,
        day=d0,
        shift_minutes=shift,
        time_limit=1.0,
    )
    event(f"fit: {fp.status if fp else 'none'}")
    if fp is None:
        return
    before = {d.session.id: d for d in day}
    for m in fp.moves:
        d = before[m.session_id]
        assert not d.started
        if m.time_changed:
            assert shift > 0 and not d.confirmed
            assert abs((m.start_after - m.start_before).total_seconds()) <= shift * 60
    moved = {m.session_id for m in fp.moves}
    for b in fp.busy_after:
        o = before[b.id].session
        assert (b.id in moved) == (
            (b.chair_id, b.nurse_id, b.start) != (o.chair_id, o.nurse_id, o.start)
        )
    recs = [
        Rec(
            b.id,
            b.patient_id,
            b.chair_id,
            b.nurse_id,
            b.start,
            b.observation_end,
            b.chair_release_at,
            *info[b.id],
        )
        for b in fp.busy_after
    ]
    (p,) = fp.placements
    tl = p.timeline
    recs.append(
        Rec(
            -1,
            999,
            p.chair_id,
            p.nurse_id,
            tl.start,
            tl.observation_end,
            tl.chair_release_at,
            req.required_skill,
            req.required_chair_kind,
        )
    )
    assert tl.start.astimezone(ZoneInfo(center.time_zone)).date() == d0
    assert check_schedule(center, chairs, nurses, recs) == []


@SOLVER
@given(data=st.data())
def test_planner_keeps_every_invariant(data):
    center, chairs, nurses, d0, n_days = data.draw(clinic_worlds())
    tz = ZoneInfo(center.time_zone)
    busy, book, index, sid = [], [], BusyIndex(), 0
    for _ in range(data.draw(st.integers(0, 6))):
        req = data.draw(requests(d0, n_days, chairs, nurses))
        slots = find_slots(center=center, chairs=chairs, nurses=nurses, busy=index, request=req)
        if slots:
            sid = _add(
                book,
                busy,
                index,
                sid,
                req.patient_id,
                slots[0].placements,
                req.required_skill,
                req.required_chair_kind,
            )
    reqs = []
    for i in range(data.draw(st.integers(1, 10))):
        r = data.draw(requests(d0, n_days, chairs, nurses))
        reqs.append(
            PlanRequest(
                i,
                r.patient_id + 10 * data.draw(st.integers(0, 1)),
                r.legs,
                r.required_skill,
                r.required_chair_kind,
                r.date_from,
                r.date_to,
                r.target_date,
                data.draw(availabilities()),
                data.draw(st.sampled_from([None, 540, 780])),
            )
        )
    w = PlanWorld(center, chairs, nurses, tuple(busy))
    res = plan(world=w, requests=reqs, time_limit=1.0)
    assert len(res.proposals) + len(res.unplaced) == len(reqs)
    by = {r.id: r for r in reqs}
    for p in res.proposals:
        r = by[p.request_id]
        assert len(p.placements) == len(r.legs)
        first = p.placements[0].timeline.start.astimezone(tz)
        assert r.date_from <= first.date() <= r.date_to
        assert _allowed(r.availability, p.placements, tz)
        for leg, pl in zip(r.legs, p.placements, strict=True):
            here = pl.timeline.start.astimezone(tz)
            assert (here.hour, here.minute) == (first.hour, first.minute)
            assert (here.date() - first.date()).days == leg.day_offset
        sid = _add(
            book, [], None, sid, p.patient_id, p.placements, r.required_skill, r.required_chair_kind
        )
    assert check_schedule(center, chairs, nurses, book) == []
    event(f"planned {len(res.proposals)}/{len(reqs)} status {res.status}")
