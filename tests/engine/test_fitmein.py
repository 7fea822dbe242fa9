"""Fit-me-in: repack one day (chairs and nurses of sessions not started; times kept unless the
coordinator allows shifts) so a request fits, with the exact list of moves."""

from scheduling.engine import BusySession, DaySession, DoseTiming, find_slots, fit_me_in

from .helpers import D, at, busy, center, chairs, nurses, request
from .invariants import Rec, check_schedule

FOUR_H = DoseTiming(0, 240, 0)
EIGHT_H = DoseTiming(0, 480, 0)


def fragmented():
    """Two chairs, turnover 0: 07-11 and 15-19 on chair 1, 11-15 on chair 2. No chair is free
    for 8 hours, yet at most one chair is busy at any time."""
    c = center(turnover=0)
    b = [
        busy(1, at(D, 7), chair_id=1, nurse_id=1, patient_id=1, timing=FOUR_H, turnover=0),
        busy(2, at(D, 11), chair_id=2, nurse_id=1, patient_id=2, timing=FOUR_H, turnover=0),
        busy(3, at(D, 15), chair_id=1, nurse_id=1, patient_id=3, timing=FOUR_H, turnover=0),
    ]
    return c, chairs("recliner", "recliner"), nurses(1), b


def recs(sessions):
    return [
        Rec(
            b.id,
            b.patient_id,
            b.chair_id,
            b.nurse_id,
            b.start,
            b.observation_end,
            b.chair_release_at,
        )
        for b in sessions
    ]


def test_repack_fits_a_long_infusion_without_moving_anyone_in_time():
    c, ch, ns, b = fragmented()
    req = request(timing=EIGHT_H, patient_id=9)
    assert find_slots(center=c, chairs=ch, nurses=ns, busy=b, request=req) == []
    fp = fit_me_in(
        center=c, chairs=ch, nurses=ns, day_sessions=[DaySession(x) for x in b], request=req, day=D
    )
    assert fp is not None and fp.moves
    assert all(not m.time_changed for m in fp.moves)
    assert {m.session_id for m in fp.moves} == {2}  # only chair changes, and only one
    new = fp.placements[0]
    after = list(fp.busy_after) + [
        BusySession(
            99,
            9,
            new.chair_id,
            new.nurse_id,
            new.timeline.start,
            new.timeline.observation_end,
            new.timeline.chair_release_at,
        )
    ]
    assert check_schedule(c, ch, ns, recs(after)) == []
    # the moves list is exactly the difference between before and after
    before = {x.id: x for x in b}
    for x in fp.busy_after:
        moved = any(m.session_id == x.id for m in fp.moves)
        assert moved == (x.chair_id != before[x.id].chair_id or x.start != before[x.id].start)


def test_started_sessions_stay_where_they_are():
    c, ch, ns, b = fragmented()
    req = request(timing=EIGHT_H, patient_id=9)
    day = [DaySession(b[0]), DaySession(b[1], started=True), DaySession(b[2])]
    fp = fit_me_in(center=c, chairs=ch, nurses=ns, day_sessions=day, request=req, day=D)
    # session 2 is in its chair: 1 and 3 move to chair 2 instead
    assert fp is not None
    assert {m.session_id for m in fp.moves} == {1, 3}


def test_no_time_shift_without_the_flag_then_with_it():
    # one chair open 07-15 with 08:00-12:00 booked: a 4 h request fits only if that session
    # moves one hour earlier
    c = center(turnover=0, h0=7, h1=15)
    ch, ns = chairs("recliner"), nurses(1)
    b = [busy(1, at(D, 8), chair_id=1, nurse_id=1, patient_id=1, timing=FOUR_H, turnover=0)]
    req = request(timing=FOUR_H, patient_id=9, not_before=at(D, 6))
    day = [DaySession(b[0])]
    assert fit_me_in(center=c, chairs=ch, nurses=ns, day_sessions=day, request=req, day=D) is None
    fp = fit_me_in(
        center=c, chairs=ch, nurses=ns, day_sessions=day, request=req, day=D, shift_minutes=60
    )
    assert fp is not None
    (m,) = fp.moves
    assert m.time_changed and m.start_after == at(D, 7)
    assert fp.placements[0].timeline.start == at(D, 11)
    # a confirmed session never shifts
    day = [DaySession(b[0], confirmed=True)]
    assert (
        fit_me_in(
            center=c, chairs=ch, nurses=ns, day_sessions=day, request=req, day=D, shift_minutes=60
        )
        is None
    )


def test_fits_as_is_needs_no_moves():
    c, ch, ns = center(), chairs("recliner", "recliner"), nurses(1)
    fp = fit_me_in(center=c, chairs=ch, nurses=ns, day_sessions=[], request=request(), day=D)
    assert fp is not None and fp.moves == () and fp.status == "fits"


def test_the_fast_deal_repacks_and_says_so():
    """The fragmented day is solved by the greedy deal (no CP-SAT): status 'repacked'."""
    c, ch, ns, b = fragmented()
    req = request(timing=EIGHT_H, patient_id=9)
    fp = fit_me_in(
        center=c, chairs=ch, nurses=ns, day_sessions=[DaySession(x) for x in b], request=req, day=D
    )
    assert fp is not None and fp.status == "repacked"


def test_every_chair_taken_at_some_instant_is_refused_at_once():
    """Both chairs busy 11-15: no 8-hour stay fits with times kept, and the call says so without
    waiting out the CP-SAT limit."""
    c = center(turnover=0)
    b = [
        busy(1, at(D, 11), chair_id=1, nurse_id=1, patient_id=1, timing=FOUR_H, turnover=0),
        busy(2, at(D, 11), chair_id=2, nurse_id=1, patient_id=2, timing=FOUR_H, turnover=0),
    ]
    req = request(timing=EIGHT_H, patient_id=9)
    fp = fit_me_in(
        center=c,
        chairs=chairs("recliner", "recliner"),
        nurses=nurses(1),
        day_sessions=[DaySession(x) for x in b],
        request=req,
        day=D,
        time_limit=30.0,
    )
    assert fp is None
