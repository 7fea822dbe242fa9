from scheduling.engine import BusyIndex, check_placement

from .helpers import D, at, busy, center, chairs, nurses, place


def run(p, b, kind=None, ch=None):
    return check_placement(
        center=center(),
        chairs=ch or chairs("recliner", "bed"),
        nurses=nurses(2),
        busy=b,
        patient_id=7,
        placement=p,
        required_skill=None,
        required_chair_kind=kind,
    )


def test_free_chair_ok():
    assert run(place(at(D, 9)), []) == []


def test_overlap_is_violation_naming_chair_and_session():
    v = run(place(at(D, 9, 30), nurse_id=2), [busy(12, at(D, 9))])
    assert [x.rule for x in v] == ["chair"]
    assert v[0].resource == "chair:1"
    assert "Chair 1" in v[0].message and "session 12" in v[0].message


def test_turnover_included():
    # existing 09:00-10:00, turnover until 10:15
    assert [x.rule for x in run(place(at(D, 10), nurse_id=2), [busy(1, at(D, 9))])] == ["chair"]
    assert run(place(at(D, 10, 15), nurse_id=2), [busy(1, at(D, 9))]) == []


def test_new_session_turnover_hits_next():
    # new 08:00-09:00 releases at 09:15 but next session starts 09:00
    assert [x.rule for x in run(place(at(D, 8), nurse_id=2), [busy(1, at(D, 9))])] == ["chair"]
    assert run(place(at(D, 7, 45), nurse_id=2), [busy(1, at(D, 9))]) == []


def test_other_chair_ok():
    assert run(place(at(D, 9), chair_id=2, nurse_id=2), [busy(1, at(D, 9))]) == []


def test_chair_kind():
    v = run(place(at(D, 9), chair_id=1), [], kind="bed")
    assert [x.rule for x in v] == ["chair_kind"]
    assert run(place(at(D, 9), chair_id=2), [], kind="bed") == []


def test_long_session_found_by_index():
    # a long earlier session still overlapping must be found despite later short ones
    b = [
        busy(
            1,
            at(D, 7),
            timing=__import__("scheduling.engine", fromlist=["DoseTiming"]).DoseTiming(0, 600, 0),
        ),
        busy(2, at(D, 8), chair_id=2, nurse_id=2, patient_id=5),
    ]
    v = run(place(at(D, 16), nurse_id=2), b)
    assert [x.rule for x in v] == ["chair"]


def test_busy_index_add():
    idx = BusyIndex([])
    assert run(place(at(D, 9)), idx) == []
    idx.add(busy(3, at(D, 9)))
    assert [x.rule for x in run(place(at(D, 9, 30), nurse_id=2), idx)] == ["chair"]
