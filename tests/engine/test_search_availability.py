"""The slot search honours patient availability: must windows filter, wishes and the distance
from the preferred minute rank."""

from datetime import timedelta

from scheduling.engine import AvailabilityWindow, PatientAvailability, find_slots

from .helpers import T60, D, at, center, chairs, nurses, request

WEEK = frozenset(range(7))


def fs(req, n_days=1):
    return find_slots(
        center=center(n_days=n_days),
        chairs=chairs("recliner", "recliner"),
        nurses=nurses(2, n_days=n_days),
        busy=[],
        request=req,
    )


def test_must_window_filters_every_start():
    after_two = PatientAvailability((AvailabilityWindow(WEEK, 14 * 60, 24 * 60),))
    slots = fs(request(limit=50, availability=after_two))
    assert slots
    assert min(s.start for s in slots) == at(D, 14)


def test_not_on_mondays_moves_to_tuesday():
    not_monday = PatientAvailability((AvailabilityWindow(frozenset({0}), kind="unavailable"),))
    slots = fs(request(d_to=D + timedelta(2), limit=20, availability=not_monday), n_days=3)
    assert slots and all(s.start.weekday() != 0 for s in slots)


def test_wish_is_a_penalty_not_a_filter():
    mornings = PatientAvailability((AvailabilityWindow(WEEK, 7 * 60, 11 * 60, strength="wish"),))
    slots = fs(request(limit=60, availability=mornings))
    assert slots[0].start < at(D, 11)
    late = [s for s in slots if s.start >= at(D, 11)]
    assert late and all(s.score_parts["wishes"] > 0 for s in late)


def test_preferred_minute_wins_over_occupancy():
    # preferred 10:30: the best slot is at 10:30 exactly, not an emptier time nearby
    slots = fs(request(limit=3, preferred_minute=10 * 60 + 30))
    assert slots[0].start == at(D, 10, 30)
    via_availability = fs(
        request(limit=1, availability=PatientAvailability(preferred_minute=13 * 60 + 15))
    )
    assert via_availability[0].start == at(D, 13, 15)


def test_a_series_checks_every_leg_against_must_windows():
    from scheduling.engine import Leg

    # Monday and Tuesday: Tuesday only allowed in the afternoon, so both legs go after 14:00
    avail = PatientAvailability(
        (
            AvailabilityWindow(frozenset({0})),
            AvailabilityWindow(frozenset({1}), 14 * 60, 24 * 60),
        )
    )
    legs = (Leg(1, 0, T60), Leg(2, 1, T60))
    slots = fs(request(legs=legs, limit=10, availability=avail), n_days=2)
    assert slots
    assert all(s.placements[1].timeline.start.hour >= 14 for s in slots)
