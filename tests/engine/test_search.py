from datetime import timedelta

from scheduling.engine import (
    BusyIndex,
    DoseTiming,
    Leg,
    PlaceResult,
    check_unit,
    find_slots,
    place_unit,
)

from .helpers import T60, T120, D, at, busy, center, chairs, nurses, request


def fs(req, c=None, ch=None, ns=None, b=()):
    return find_slots(
        center=c or center(),
        chairs=ch or chairs("recliner", "bed"),
        nurses=ns or nurses(2),
        busy=list(b),
        request=req,
    )


def test_empty_center_first_slot_is_open():
    slots = fs(request(limit=3))
    assert slots[0].start == at(D, 7)
    assert len(slots) == 3
    assert all(s.score == sorted(x.score for x in slots)[i] for i, s in enumerate(slots))


def test_score_parts_sum_to_score():
    for s in fs(request(limit=20, preferred_hour=10)):
        assert abs(sum(s.score_parts.values()) - s.score) < 1e-5
        assert set(s.score_parts) == {
            "days_from_target",
            "preferred_time",
            "peak_load",
            "nurse_load",
            "wishes",
            "template",
        }


def test_preferred_hour():
    assert fs(request(preferred_hour=13, limit=1))[0].start == at(D, 13)


def test_target_day_dominates():
    c = center(n_days=5)
    slots = fs(
        request(d_to=D + timedelta(4), target_date=D + timedelta(2), preferred_hour=7, limit=60),
        c=c,
        ns=nurses(2, n_days=5),
    )
    assert slots[0].start.date() == D + timedelta(2)
    assert {s.start.date() for s in slots[:40]} == {D + timedelta(2)}


def test_no_target_prefers_earliest_day():
    c = center(n_days=3)
    assert (
        fs(request(d_to=D + timedelta(2), limit=1), c=c, ns=nurses(2, n_days=3))[0].start.date()
        == D
    )


def test_not_before():
    slots = fs(request(not_before=at(D, 10, 5), limit=50))
    assert min(s.start for s in slots) == at(D, 10, 15)


def test_last_start_fits_close():
    slots = fs(request(timing=T120, limit=100))
    assert max(s.start for s in slots) == at(D, 17)


def test_avoids_peak():
    # chair 1 busy 11-13 with a second chair free: a start at 12 would be at 50 % load
    c = center()
    b = [busy(1, at(D, 11), timing=DoseTiming(0, 120, 0), patient_id=1)]
    slots = fs(request(limit=100), c=c, b=b)
    by_start = {s.start: s for s in slots}
    assert (
        by_start[at(D, 12)].score_parts["peak_load"] > by_start[at(D, 15)].score_parts["peak_load"]
    )


def test_busy_chair_skipped_and_restrictions():
    b = [busy(1, at(D, 7), chair_id=2, nurse_id=2, timing=DoseTiming(0, 660, 0), patient_id=1)]
    slots = fs(request(limit=50), b=b)
    assert all(p.chair_id == 1 for s in slots for p in s.placements)
    assert fs(request(chair_id=2), b=b) == []
    slots = fs(request(limit=50, nurse_id=2), b=b)
    assert slots and all(s.placements[0].nurse_id == 2 for s in slots)


def test_kind_and_skill_filters():
    from scheduling.engine import Nurse

    shifts = nurses(1)[1].shifts
    ns = {
        1: Nurse(1, "Nurse 1", frozenset({"chemo"}), 4, shifts),
        2: Nurse(2, "Nurse 2", frozenset({"rems"}), 4, shifts),
    }
    slots = fs(request(required_chair_kind="bed", required_skill="rems", limit=5), ns=ns)
    assert slots
    assert all(s.placements[0].chair_id == 2 and s.placements[0].nurse_id == 2 for s in slots)
    assert fs(request(required_skill="nope")) == []


def test_patient_own_sessions_excluded():
    b = [busy(1, at(D, 7), chair_id=2, nurse_id=2, timing=DoseTiming(0, 600, 0), patient_id=7)]
    slots = fs(request(limit=100), b=b)
    assert slots and all(s.start >= at(D, 17) for s in slots)


def test_nurse_load_balancing_picks_least_loaded():
    b = [busy(1, at(D, 7), chair_id=2, nurse_id=1, patient_id=1)]
    slots = fs(request(limit=5, not_before=at(D, 12)), b=b)
    assert slots[0].placements[0].nurse_id == 2


def test_deterministic():
    b = [
        busy(i, at(D, 7 + i), chair_id=1 + i % 2, nurse_id=1 + i % 2, patient_id=i)
        for i in range(1, 6)
    ]
    a = fs(request(limit=20, preferred_hour=11), b=b)
    assert a == fs(request(limit=20, preferred_hour=11), b=b)
    assert a == find_slots(
        center=center(),
        chairs=chairs("recliner", "bed"),
        nurses=nurses(2),
        busy=BusyIndex(b),
        request=request(limit=20, preferred_hour=11),
    )


def test_slots_pass_check_unit():
    b = [
        busy(i, at(D, 7 + i), chair_id=1 + i % 2, nurse_id=1 + i % 2, patient_id=i)
        for i in range(1, 6)
    ]
    for s in fs(request(limit=50), b=b):
        assert (
            check_unit(
                center=center(),
                chairs=chairs("recliner", "bed"),
                nurses=nurses(2),
                busy=b,
                patient_id=7,
                placements=s.placements,
                required_skill=None,
                required_chair_kind=None,
            )
            == []
        )


def test_place_unit_and_reasons():
    b = [busy(1, at(D, 9), chair_id=1, nurse_id=1, patient_id=1)]
    kw = dict(
        center=center(),
        chairs=chairs("recliner"),
        nurses=nurses(1),
        busy=b,
        patient_id=7,
        legs=(Leg(1, 0, T60),),
        required_skill=None,
        required_chair_kind=None,
    )
    r = place_unit(first_start=at(D, 11), **kw)
    assert isinstance(r, PlaceResult) and r.ok and r.placements[0].chair_id == 1
    r = place_unit(first_start=at(D, 9, 30), **kw)
    assert not r.ok and r.violations[0].rule == "chair" and "session 1" in r.violations[0].message
    r = place_unit(first_start=at(D, 6), **kw)
    assert [v.rule for v in r.violations] == ["hours"]
    r = place_unit(first_start=at(D, 11), chair_id=5, **kw)
    assert not r.ok


def test_place_unit_nurse_reasons():
    b = [busy(1, at(D, 9), chair_id=2, nurse_id=1, patient_id=1)]
    r = place_unit(
        center=center(),
        chairs=chairs("recliner", "recliner"),
        nurses=nurses(1),
        busy=b,
        patient_id=7,
        legs=(Leg(1, 0, T60),),
        first_start=at(D, 9, 5),
        required_skill=None,
        required_chair_kind=None,
    )
    assert [v.rule for v in r.violations] == ["stagger"]


def test_check_unit_legs_collide_with_each_other():
    from .helpers import place

    ps = (
        place(at(D, 9), chair_id=1, nurse_id=1),
        place(at(D, 9, 30), chair_id=1, nurse_id=2, dose=2),
    )
    v = check_unit(
        center=center(),
        chairs=chairs("recliner"),
        nurses=nurses(2),
        busy=[],
        patient_id=7,
        placements=ps,
        required_skill=None,
        required_chair_kind=None,
    )
    assert {x.rule for x in v} == {"chair", "patient"}


def test_series_needs_all_legs():
    c = center(n_days=2)
    # second day fully closed for chair 1 and only one chair
    b = [busy(1, at(D + timedelta(1), 7), timing=DoseTiming(0, 600, 0), patient_id=1)]  # till 17:15
    legs = (Leg(1, 0, T60), Leg(2, 1, T60))
    slots = fs(
        request(legs=legs, limit=50), c=c, ch=chairs("recliner"), ns=nurses(2, n_days=2), b=b
    )
    assert slots and all(s.start >= at(D, 17, 15) for s in slots)
    for s in slots:
        assert s.placements[1].timeline.start == s.placements[0].timeline.start + timedelta(days=1)
