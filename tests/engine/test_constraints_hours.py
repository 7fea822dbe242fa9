from datetime import timedelta

from scheduling.engine import Interval, check_placement

from .helpers import D, at, center, chairs, nurses, place


def run(p, c=None):
    return [
        x.rule
        for x in check_placement(
            center=c or center(),
            chairs=chairs(),
            nurses=nurses(
                shifts=(
                    Interval(at(D, 0), at(D, 23, 55)),
                    Interval(at(D + timedelta(1), 0), at(D + timedelta(1), 23)),
                )
            ),
            busy=[],
            patient_id=7,
            placement=p,
            required_skill=None,
            required_chair_kind=None,
        )
    ]


def test_inside():
    assert run(place(at(D, 7))) == []
    assert run(place(at(D, 18))) == []  # observation ends exactly at close


def test_before_open():
    assert run(place(at(D, 6, 45))) == ["hours"]


def test_after_close():
    assert run(place(at(D, 18, 15))) == ["hours"]


def test_chair_release_after_close_is_fine():
    # observation ends 19:00, turnover till 19:15: allowed (rule is observation_end <= close)
    assert run(place(at(D, 18))) == []


def test_closure_day_has_no_window():
    c = center(windows=())
    assert run(place(at(D, 9)), c) == ["hours"]


def test_must_fit_one_window():
    c = center(windows=(Interval(at(D, 7), at(D, 12)), Interval(at(D, 13), at(D, 19))))
    assert run(place(at(D, 11, 30)), c) == ["hours"]
    assert run(place(at(D, 11)), c) == []
    assert run(place(at(D, 13)), c) == []
