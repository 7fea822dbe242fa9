from scheduling.engine import Interval, check_placement

from .helpers import D, at, busy, center, chairs, nurses, place


def run(p, b, ns=None, skill=None, stagger=15):
    return check_placement(
        center=center(stagger=stagger),
        chairs=chairs(*["recliner"] * 6),
        nurses=ns or nurses(1, max_concurrent=2),
        busy=b,
        patient_id=7,
        placement=p,
        required_skill=skill,
        required_chair_kind=None,
    )


def rules(v):
    return sorted(x.rule for x in v)


def test_shift_must_cover_whole_session():
    ns = nurses(1, shifts=(Interval(at(D, 8), at(D, 12)), Interval(at(D, 12), at(D, 16))))
    assert rules(run(place(at(D, 7, 30)), [], ns)) == ["nurse_shift"]
    assert rules(run(place(at(D, 11, 30)), [], ns)) == ["nurse_shift"]  # spans two shifts
    assert run(place(at(D, 11)), [], ns) == []
    v = run(place(at(D, 15, 30)), [], ns)
    assert v[0].resource == "nurse:1" and "Nurse 1" in v[0].message


def test_capacity():
    b = [
        busy(1, at(D, 9), chair_id=1, patient_id=1),
        busy(2, at(D, 9, 15), chair_id=2, patient_id=2),
    ]
    v = run(place(at(D, 9, 30), chair_id=3), b)
    assert rules(v) == ["nurse_capacity"]
    assert "session 1" in v[0].message and "session 2" in v[0].message


def test_capacity_counts_instants_not_sessions():
    # two existing sessions that never overlap each other: at most 1 + new = 2 <= 2 at any instant
    b = [busy(1, at(D, 9), chair_id=1, patient_id=1), busy(2, at(D, 10), chair_id=2, patient_id=2)]
    assert run(place(at(D, 9, 30), chair_id=3), b) == []


def test_capacity_patient_interval_excludes_turnover():
    b = [
        busy(1, at(D, 9), chair_id=1, patient_id=1),
        busy(2, at(D, 9, 15), chair_id=2, patient_id=2),
    ]
    assert run(place(at(D, 10, 15), chair_id=3), b) == []  # session 2 ends 10:15


def test_stagger():
    b = [busy(1, at(D, 9), chair_id=1, patient_id=1)]
    v = run(place(at(D, 9, 10), chair_id=2), b)
    assert rules(v) == ["stagger"] and "session 1" in v[0].message
    assert rules(run(place(at(D, 8, 50), chair_id=2), b)) == ["stagger"]
    assert run(place(at(D, 9, 15), chair_id=2), b) == []
    assert run(place(at(D, 9, 10), chair_id=2), b, stagger=0) == []


def test_other_nurse_unaffected():
    ns = nurses(2, max_concurrent=1)
    b = [busy(1, at(D, 9), chair_id=1, patient_id=1, nurse_id=1)]
    assert run(place(at(D, 9), chair_id=2, nurse_id=2), b, ns) == []
    assert rules(run(place(at(D, 9, 30), chair_id=2, nurse_id=1), b, ns)) == ["nurse_capacity"]


def test_skill():
    assert rules(run(place(at(D, 9)), [], skill="rems_natalizumab")) == ["skill"]
    assert run(place(at(D, 9)), [], skill="chemo") == []


def test_unknown_nurse():
    assert rules(run(place(at(D, 9), nurse_id=99), [])) == ["nurse_shift"]
