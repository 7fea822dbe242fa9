"""A series spanning the US fall-back (2026-11-01, America/New_York) keeps 09:00 local."""

from datetime import date, timedelta
from zoneinfo import ZoneInfo

from scheduling.engine import Leg, find_slots, place_unit

from .helpers import T60, at, center, chairs, nurses, request

NY = ZoneInfo("America/New_York")
D0 = date(2026, 10, 26)  # Monday before the change


def setup(n=30):
    return center(n_days=n, d0=D0), chairs("recliner"), nurses(1, n_days=n, d0=D0)


def test_weekly_series_keeps_local_time():
    c, ch, ns = setup()
    legs = tuple(Leg(i + 1, 7 * i, T60) for i in range(3))
    slots = find_slots(
        center=c,
        chairs=ch,
        nurses=ns,
        busy=[],
        request=request(legs=legs, d_from=D0, d_to=D0, preferred_hour=9, limit=1),
    )
    starts = [p.timeline.start.astimezone(NY) for p in slots[0].placements]
    assert [s.hour for s in starts] == [9, 9, 9]
    assert [s.date() for s in starts] == [D0, D0 + timedelta(7), D0 + timedelta(14)]
    # the UTC hour moves by one because the offset changed
    assert [s.utcoffset() for s in starts] == [
        timedelta(hours=-4),
        timedelta(hours=-5),
        timedelta(hours=-5),
    ]


def test_day0_day14_series():
    c, ch, ns = setup()
    legs = (Leg(1, 0, T60), Leg(2, 14, T60))
    slots = find_slots(
        center=c,
        chairs=ch,
        nurses=ns,
        busy=[],
        request=request(legs=legs, d_from=D0, d_to=D0 + timedelta(4), preferred_hour=9, limit=5),
    )
    for s in slots:
        a, b = (p.timeline.start.astimezone(NY) for p in s.placements)
        assert (a.hour, a.minute) == (b.hour, b.minute)
        assert b.date() - a.date() == timedelta(14)
    assert slots[0].start.astimezone(NY).hour == 9


def test_place_unit_across_dst():
    c, ch, ns = setup()
    r = place_unit(
        center=c,
        chairs=ch,
        nurses=ns,
        busy=[],
        patient_id=1,
        legs=(Leg(1, 0, T60), Leg(2, 14, T60)),
        first_start=at(D0 + timedelta(1), 9, tz=NY),
        required_skill=None,
        required_chair_kind=None,
    )
    assert r.ok
    assert r.placements[1].timeline.start.astimezone(NY).hour == 9
    delta = r.placements[1].timeline.start.timestamp() - r.placements[0].timeline.start.timestamp()
    assert delta == (14 * 24 + 1) * 3600
