"""Options that help a phone conversation: best per day first, then morning/afternoon variety,
never a list of near-copies; and "more on this day"."""

from datetime import timedelta

from scheduling.engine import find_slots, more_on_day

from .helpers import D, center, chairs, nurses, request

N = 5


def world():
    return dict(center=center(n_days=N), chairs=chairs("recliner"), nurses=nurses(1, n_days=N))


def test_plain_list_is_near_copies_spread_is_not():
    req = request(d_to=D + timedelta(N - 1), limit=8, preferred_hour=9)
    plain = find_slots(**world(), busy=[], request=req)
    assert len({s.start.date() for s in plain}) == 1  # the old behaviour: one day, 15 min apart
    spread = find_slots(**world(), busy=[], request=req, spread="days")
    assert len(spread) == 8
    firsts = spread[:N]
    assert len({s.start.date() for s in firsts}) == N  # the best of each day first
    assert [s.score for s in firsts] == sorted(s.score for s in firsts)
    for a in spread:
        for b in spread:
            if a is not b and a.start.date() == b.start.date():
                assert abs((a.start - b.start).total_seconds()) >= 3600
    # after the first of each day come other halves of the day
    seconds = spread[N:]
    for s in seconds:
        first = next(f for f in firsts if f.start.date() == s.start.date())
        assert (first.start.hour < 12) != (s.start.hour < 12)


def test_more_on_this_day():
    req = request(d_to=D + timedelta(N - 1), limit=8, preferred_hour=9)
    day = D + timedelta(3)
    more = more_on_day(**world(), busy=[], request=req, day=day, limit=6)
    assert len(more) == 6
    assert {s.start.date() for s in more} == {day}
    starts = sorted(s.start for s in more)
    assert all((b - a).total_seconds() >= 1800 for a, b in zip(starts, starts[1:], strict=False))
    assert more[0].start.hour == 9
