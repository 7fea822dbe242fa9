"""The level-loading template: duration classes, a CP-SAT build that respects the center's
capacity and flattens occupancy, the JSON a manager edits, and how the search follows it."""

from datetime import timedelta

import pytest

from scheduling.engine import (
    BusySession,
    ClassDemand,
    DoseTiming,
    Hold,
    TemplateGuide,
    WeeklyTemplate,
    build_template,
    duration_class,
    find_slots,
)

from .helpers import D, at, center, chairs, nurses, request

HOURS = {0: (7 * 60, 19 * 60)}


@pytest.mark.parametrize(
    "minutes,cls",
    [(45, "le1h"), (60, "le1h"), (61, "1to2h"), (120, "1to2h"), (240, "2to4h"), (241, "gt4h")],
)
def test_duration_classes(minutes, cls):
    assert duration_class(minutes) == cls


def _demand():
    return [
        ClassDemand(0, "gt4h", 4, 330),
        ClassDemand(0, "2to4h", 4, 180),
        ClassDemand(0, "1to2h", 6, 90),
        ClassDemand(0, "le1h", 8, 60),
    ]


def test_build_respects_capacity_and_places_all_demand():
    t = build_template(demand=_demand(), hours=HOURS, chairs=6, nurses=2, time_limit=2)
    assert t.status in ("optimal", "feasible")
    for d in _demand():
        assert sum(t.starts_for(0, d.duration_class).values()) == d.count
    curve = t.occupancy_curve(0)
    assert max(b for _, b in curve) <= 6
    # every start leaves the stay inside opening hours
    for _wd, m, cls in t.starts:
        assert m + t.class_minutes[cls] <= 19 * 60
    # at most 2 starts per 15 minutes (2 nurses, one start each per stagger window)
    per_slot = {}
    for (_wd, m, _cls), n in t.starts.items():
        per_slot[m] = per_slot.get(m, 0) + n
    assert max(per_slot.values()) <= 2


def test_build_flattens_occupancy():
    t = build_template(demand=_demand(), hours=HOURS, chairs=10, nurses=4, time_limit=2)
    busy = [b for _, b in t.occupancy_curve(0)]
    # total chair-minutes / open minutes is the mean; the peak stays close to it
    mean = sum(busy) / len(busy)
    assert max(busy) <= mean * 2


def test_json_round_trip_and_errors():
    t = build_template(demand=_demand(), hours=HOURS, chairs=6, nurses=2, time_limit=1)
    again = WeeklyTemplate.from_json(t.to_json())
    assert again.starts == t.starts and again.hours == t.hours
    with pytest.raises(ValueError):
        WeeklyTemplate.from_json({"hours": {"0": ["07:00", "19:00"]}, "starts": [{"weekday": 0}]})
    with pytest.raises(ValueError):
        WeeklyTemplate.from_json(
            {"hours": {}, "starts": [{"weekday": 0, "start": "08:00", "class": "x", "count": 1}]}
        )


def test_guide_protects_long_morning_starts_until_release():
    c, ch, ns = center(), chairs("recliner", "recliner"), nurses(2)
    short = request(timing=DoseTiming(0, 45, 15), limit=50, preferred_hour=8)
    guide = TemplateGuide(
        WeeklyTemplate(15, dict(HOURS), {(0, 7 * 60, "gt4h"): 2, (0, 13 * 60, "le1h"): 1}),
        release_hours=72,
    )
    early = at(D, 7) - timedelta(days=10)
    slots = find_slots(
        center=c, chairs=ch, nurses=ns, busy=[], request=short, guide=guide, now=early
    )
    # both chairs are kept for the two long starts until ~12:45 (330 min + turnover)
    assert slots and min(s.start for s in slots) >= at(D, 12, 45)
    # the template start kept for the short class costs nothing
    at13 = next(s for s in slots if s.start == at(D, 13))
    assert at13.score_parts["template"] == 0
    late = at(D, 7) - timedelta(hours=24)
    slots = find_slots(
        center=c, chairs=ch, nurses=ns, busy=[], request=short, guide=guide, now=late
    )
    assert min(s.start for s in slots) == at(D, 7)
    # a long infusion may always take them
    long_req = request(timing=DoseTiming(30, 240, 60), limit=1)
    slots = find_slots(
        center=c, chairs=ch, nurses=ns, busy=[], request=long_req, guide=guide, now=early
    )
    assert slots[0].start == at(D, 7) and slots[0].score_parts["template"] == 0


def test_guide_releases_reserve_as_long_infusions_book():
    c, ch, ns = center(), chairs("recliner", "recliner"), nurses(2)
    guide = TemplateGuide(
        WeeklyTemplate(15, dict(HOURS), {(0, 7 * 60, "gt4h"): 1}), release_hours=72
    )
    early = at(D, 7) - timedelta(days=10)
    short = request(timing=DoseTiming(0, 45, 15), limit=50, preferred_hour=8)
    before = find_slots(
        center=c, chairs=ch, nurses=ns, busy=[], request=short, guide=guide, now=early
    )
    assert at(D, 8) in {s.start for s in before}  # one chair kept, the other is free
    # the long one books chair 1 at 07:00: the reserve is used, nothing more is held back
    tl_end = at(D, 12, 30)
    b = [BusySession(1, 50, 1, 1, at(D, 7), tl_end, tl_end + timedelta(minutes=15))]
    after = find_slots(
        center=c, chairs=ch, nurses=ns, busy=b, request=short, guide=guide, now=early
    )
    assert min(s.start for s in after) == at(D, 7)


def test_a_long_session_off_its_token_consumes_it_once():
    # one token for a long start at 07:00 on two chairs; the long patient booked at 08:00
    # instead: nothing is reserved any more (no double count of 07:00 and 08:00)
    c, ch, ns = center(), chairs("recliner", "recliner"), nurses(2)
    guide = TemplateGuide(
        WeeklyTemplate(15, dict(HOURS), {(0, 7 * 60, "gt4h"): 1}), release_hours=72
    )
    early = at(D, 7) - timedelta(days=10)
    end = at(D, 13, 30)
    b = [BusySession(1, 50, 1, 1, at(D, 8), end, end + timedelta(minutes=15))]
    short = request(timing=DoseTiming(0, 45, 15), limit=80, preferred_hour=9)
    slots = find_slots(
        center=c, chairs=ch, nurses=ns, busy=b, request=short, guide=guide, now=early
    )
    assert at(D, 9) in {s.start for s in slots}
    # with only a short session booked, the token still holds chair 2 from 07:00
    b = [BusySession(1, 50, 1, 1, at(D, 8), at(D, 9), at(D, 9, 15))]
    slots = find_slots(
        center=c, chairs=ch, nurses=ns, busy=b, request=short, guide=guide, now=early
    )
    assert at(D, 8, 30) not in {s.start for s in slots}


def test_a_held_start_costs_nothing_for_its_own_patient_only():
    c, ch, ns = center(), chairs("recliner", "recliner"), nurses(2)
    hold = Hold(7, at(D, 10), 45)
    guide = TemplateGuide(WeeklyTemplate(15, dict(HOURS), {}), holds=[hold])
    mine = request(timing=DoseTiming(0, 45, 0), limit=80, patient_id=7)
    slots = find_slots(center=c, chairs=ch, nurses=ns, busy=[], request=mine, guide=guide)
    parts = {s.start: s.score_parts["template"] for s in slots}
    assert parts[at(D, 10)] == 0 and parts[at(D, 9)] == guide.weight
    other = request(timing=DoseTiming(0, 45, 0), limit=80, patient_id=8)
    slots = find_slots(center=c, chairs=ch, nurses=ns, busy=[], request=other, guide=guide)
    assert {s.score_parts["template"] for s in slots} == {guide.weight}
