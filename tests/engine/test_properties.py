"""Property tests: random centers and booking streams; the independent checker
(tests/engine/invariants.py) must find nothing, and every offered slot must pass check_unit."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from scheduling.engine import (
    BusyIndex,
    BusySession,
    Center,
    Chair,
    DoseTiming,
    Interval,
    Leg,
    Nurse,
    SlotRequest,
    check_unit,
    find_slots,
    place_unit,
)

from .invariants import Rec, check_schedule

SKILLS = ("chemo", "rems")
KINDS = ("recliner", "bed")
BASE = {
    "UTC": date(2026, 3, 2),
    "America/New_York": date(2026, 10, 31),
    "Europe/Paris": date(2026, 3, 28),
}
SETTINGS = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _iv(tz, d, m0, m1):
    """Local wall-clock minutes m0..m1 of day d (the hours mean local hours)."""
    return Interval(
        datetime.combine(d, time(m0 // 60, m0 % 60), tzinfo=tz),
        datetime.combine(d, time(m1 // 60, m1 % 60), tzinfo=tz),
    )


@st.composite
def windows_for(draw, tz, d0, n_days, allow_split=True):
    out = []
    for i in range(n_days):
        d = d0 + timedelta(days=i)
        if draw(st.integers(0, 9)) == 0:
            continue  # closed day
        o = draw(st.integers(6 * 4, 11 * 4)) * 15
        length = draw(st.integers(2 * 4, 12 * 4)) * 15
        c = min(o + length, 23 * 60 + 45)
        if allow_split and draw(st.booleans()) and c - o >= 4 * 60:
            mid = o + draw(st.integers(4, (c - o) // 15 - 4)) * 15
            gap = draw(st.sampled_from([0, 15, 60]))
            out.append(_iv(tz, d, o, mid))
            if mid + gap < c:
                out.append(_iv(tz, d, mid + gap, c))
        else:
            out.append(_iv(tz, d, o, c))
    return tuple(out)


@st.composite
def worlds(draw):
    tzname = draw(st.sampled_from(sorted(BASE)))
    tz = ZoneInfo(tzname)
    d0 = BASE[tzname]
    n_days = draw(st.integers(1, 3))
    center = Center(
        tzname,
        draw(windows_for(tz, d0, n_days)),
        turnover_minutes=draw(st.sampled_from([0, 5, 15, 30])),
        stagger_minutes=draw(st.sampled_from([0, 5, 15, 30])),
        slot_step_minutes=draw(st.sampled_from([5, 15, 30])),
    )
    chairs = {
        i: Chair(i, f"C{i}", draw(st.sampled_from(KINDS)))
        for i in range(1, draw(st.integers(1, 6)) + 1)
    }
    nurses = {}
    for i in range(1, draw(st.integers(1, 4)) + 1):
        skills = frozenset(draw(st.sampled_from([SKILLS, SKILLS, ("chemo",), ("rems",), ()])))
        if draw(st.integers(0, 2)):  # mostly on shift all day, sometimes random/split shifts
            shifts = tuple(_iv(tz, d0 + timedelta(k), 6 * 60, 23 * 60 + 30) for k in range(n_days))
        else:
            shifts = draw(windows_for(tz, d0, n_days))
        nurses[i] = Nurse(i, f"N{i}", skills, draw(st.integers(1, 4)), shifts)
    return center, chairs, nurses, d0, n_days


@st.composite
def requests(draw, d0, n_days, chairs, nurses):
    legs_n = draw(st.sampled_from([1, 1, 1, 2, 3]))
    offsets = [0] + sorted(
        draw(st.lists(st.integers(0, 2), min_size=legs_n - 1, max_size=legs_n - 1))
    )
    legs = []
    for k, off in enumerate(offsets):
        legs.append(
            Leg(
                k + 1,
                off,
                DoseTiming(
                    draw(st.sampled_from([0, 15, 30])),
                    draw(st.integers(1, 16)) * 15,
                    draw(st.sampled_from([0, 15, 30, 60])),
                ),
            )
        )
    a = draw(st.integers(0, n_days - 1))
    b = draw(st.integers(a, n_days - 1))
    return SlotRequest(
        patient_id=draw(st.integers(1, 4)),
        legs=tuple(legs),
        required_skill=draw(st.sampled_from([None, None, None, *SKILLS])),
        required_chair_kind=draw(st.sampled_from([None, None, None, *KINDS])),
        date_from=d0 + timedelta(a),
        date_to=d0 + timedelta(b),
        target_date=draw(st.sampled_from([None, d0 + timedelta(b)])),
        preferred_hour=draw(st.sampled_from([None, 8, 12, 16])),
        limit=draw(st.sampled_from([1, 5, 50])),
        chair_id=draw(st.sampled_from([None] * 3 * len(chairs) + sorted(chairs))),
        nurse_id=draw(st.sampled_from([None] * 3 * len(nurses) + sorted(nurses))),
    )


def _recs(book):
    return [
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
        for b, skill, kind in book
    ]


@SETTINGS
@given(data=st.data())
def test_booking_streams_keep_every_invariant(data):
    center, chairs, nurses, d0, n_days = data.draw(worlds())
    busy: list[BusySession] = []
    book = []
    index = BusyIndex()
    sid = 0
    for _ in range(data.draw(st.integers(6, 16))):
        req = data.draw(requests(d0, n_days, chairs, nurses))
        slots = find_slots(
            center=center,
            chairs=chairs,
            nurses=nurses,
            busy=data.draw(st.sampled_from([busy, index])),
            request=req,
        )
        assert len(slots) <= req.limit
        event(f"request found slots: {bool(slots)}")
        if not slots:
            continue
        keys = [(s.score, s.start, s.placements[0].chair_id) for s in slots]
        assert keys == sorted(keys)
        slot = slots[data.draw(st.sampled_from([0, 0, len(slots) - 1]))]
        assert len(slot.placements) == len(req.legs)
        for leg, p in zip(req.legs, slot.placements, strict=True):
            sid += 1
            tl = p.timeline
            b = BusySession(
                sid,
                req.patient_id,
                p.chair_id,
                p.nurse_id,
                tl.start,
                tl.observation_end,
                tl.chair_release_at,
            )
            busy.append(b)
            index.add(b)
            book.append((b, req.required_skill, req.required_chair_kind))
            if req.chair_id is not None:
                assert p.chair_id == req.chair_id
            if req.nurse_id is not None:
                assert p.nurse_id == req.nurse_id
            # same local clock time for every leg
            first = slot.placements[0].timeline.start.astimezone(ZoneInfo(center.time_zone))
            here = tl.start.astimezone(ZoneInfo(center.time_zone))
            assert (here.hour, here.minute) == (first.hour, first.minute)
            assert (here.date() - first.date()).days == leg.day_offset
        assert check_schedule(center, chairs, nurses, _recs(book)) == []
    event(f"sessions booked: {min(len(book), 15) // 5 * 5}+")


@SETTINGS
@given(data=st.data())
def test_every_offered_slot_passes_check_unit(data):
    center, chairs, nurses, d0, n_days = data.draw(worlds())
    busy: list[BusySession] = []
    sid = 0
    for _ in range(data.draw(st.integers(0, 6))):  # some existing bookings
        req = data.draw(requests(d0, n_days, chairs, nurses))
        slots = find_slots(center=center, chairs=chairs, nurses=nurses, busy=busy, request=req)
        if slots:
            for p in slots[0].placements:
                sid += 1
                busy.append(
                    BusySession(
                        sid,
                        req.patient_id,
                        p.chair_id,
                        p.nurse_id,
                        p.timeline.start,
                        p.timeline.observation_end,
                        p.timeline.chair_release_at,
                    )
                )
    req = data.draw(requests(d0, n_days, chairs, nurses))
    offered = find_slots(center=center, chairs=chairs, nurses=nurses, busy=busy, request=req)
    # branch and bound returns exactly the head of the exhaustive ranking
    everything = find_slots(
        center=center,
        chairs=chairs,
        nurses=nurses,
        busy=busy,
        request=SlotRequest(**{**req.__dict__, "limit": 100000}),
    )
    assert offered == everything[: req.limit]
    for s in offered:
        v = check_unit(
            center=center,
            chairs=chairs,
            nurses=nurses,
            busy=busy,
            patient_id=req.patient_id,
            placements=s.placements,
            required_skill=req.required_skill,
            required_chair_kind=req.required_chair_kind,
        )
        assert v == []
        again = place_unit(
            center=center,
            chairs=chairs,
            nurses=nurses,
            busy=busy,
            patient_id=req.patient_id,
            legs=req.legs,
            first_start=s.start,
            required_skill=req.required_skill,
            required_chair_kind=req.required_chair_kind,
            chair_id=req.chair_id,
            nurse_id=req.nurse_id,
        )
        assert again.ok


@SETTINGS
@given(data=st.data())
def test_single_dose_search_is_complete(data):
    """If the independent checker accepts some (grid start, chair, nurse) for a single dose,
    find_slots offers at least one slot; and check_unit agrees with the checker on random
    explicit placements."""
    from scheduling.engine import Placement, build_timeline

    center, chairs, nurses, d0, n_days = data.draw(worlds())
    tz = ZoneInfo(center.time_zone)
    busy: list[BusySession] = []
    book = []
    sid = 0
    for _ in range(data.draw(st.integers(0, 6))):
        req = data.draw(requests(d0, n_days, chairs, nurses))
        slots = find_slots(center=center, chairs=chairs, nurses=nurses, busy=busy, request=req)
        if slots:
            for p in slots[0].placements:
                sid += 1
                b = BusySession(
                    sid,
                    req.patient_id,
                    p.chair_id,
                    p.nurse_id,
                    p.timeline.start,
                    p.timeline.observation_end,
                    p.timeline.chair_release_at,
                )
                busy.append(b)
                book.append((b, req.required_skill, req.required_chair_kind))
    req = data.draw(requests(d0, n_days, chairs, nurses))
    leg = req.legs[0]
    req = SlotRequest(**{**req.__dict__, "legs": (leg,), "limit": 1})
    offered = find_slots(center=center, chairs=chairs, nurses=nurses, busy=busy, request=req)
    # brute force over the grid of every open window of the requested days
    step = timedelta(minutes=center.slot_step_minutes)
    exists = False
    for w in center.open_windows:
        if not (req.date_from <= w.start.astimezone(tz).date() <= req.date_to):
            continue
        t = w.start
        while t < w.end and not exists:
            tl = build_timeline(t, leg.timing, center.turnover_minutes)
            for cid in chairs if req.chair_id is None else [req.chair_id]:
                for nid in nurses if req.nurse_id is None else [req.nurse_id]:
                    rec = Rec(
                        -1,
                        req.patient_id,
                        cid,
                        nid,
                        tl.start,
                        tl.observation_end,
                        tl.chair_release_at,
                        req.required_skill,
                        req.required_chair_kind,
                    )
                    ok = not check_schedule(center, chairs, nurses, _recs(book) + [rec])
                    v = check_unit(
                        center=center,
                        chairs=chairs,
                        nurses=nurses,
                        busy=busy,
                        patient_id=req.patient_id,
                        placements=(Placement(1, cid, nid, tl),),
                        required_skill=req.required_skill,
                        required_chair_kind=req.required_chair_kind,
                    )
                    assert ok == (v == []), (ok, v)
                    exists = exists or ok
                    if exists:
                        break
                if exists:
                    break
            t = datetime.fromtimestamp(t.timestamp() + step.total_seconds(), tz)
    assert bool(offered) == exists
    event(f"slot exists: {exists}")
