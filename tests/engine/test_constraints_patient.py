from scheduling.engine import check_placement

from .helpers import D, at, busy, center, chairs, nurses, place


def run(p, b):
    return check_placement(
        center=center(),
        chairs=chairs("recliner", "recliner"),
        nurses=nurses(2),
        busy=b,
        patient_id=7,
        placement=p,
        required_skill=None,
        required_chair_kind=None,
    )


def test_patient_double_booked():
    v = run(place(at(D, 9, 30), chair_id=2, nurse_id=2), [busy(4, at(D, 9), patient_id=7)])
    assert [x.rule for x in v] == ["patient"]
    assert v[0].resource == "patient:7" and "session 4" in v[0].message


def test_patient_turnover_not_counted():
    # patient leaves at observation_end (10:00); the chair turnover does not involve them
    assert run(place(at(D, 10), chair_id=2, nurse_id=2), [busy(4, at(D, 9), patient_id=7)]) == []


def test_other_patient_ok():
    assert run(place(at(D, 9, 30), chair_id=2, nurse_id=2), [busy(4, at(D, 9), patient_id=8)]) == []
