"""Beds are few: a dose that may sit anywhere takes a recliner first, so a Lemtrada course
(which needs a bed) still finds one."""

from scheduling.engine import find_slots, place_unit

from .helpers import D, at, center, chairs, nurses, request


def test_a_dose_without_a_chair_kind_takes_a_recliner_before_a_bed():
    # Chair 1 is a bed with the lowest id: best fit alone would pick it.
    ch = chairs("bed", "recliner", "recliner")
    slots = find_slots(
        center=center(), chairs=ch, nurses=nurses(), busy=[], request=request(limit=3)
    )
    assert slots and all(s.placements[0].chair_id != 1 for s in slots)
    placed = place_unit(
        center=center(),
        chairs=ch,
        nurses=nurses(),
        busy=[],
        patient_id=1,
        legs=request().legs,
        first_start=at(D, 9),
        required_skill=None,
        required_chair_kind=None,
    )
    assert placed.placements[0].chair_id == 2


def test_the_bed_is_used_when_it_is_the_only_free_chair():
    ch = chairs("bed")
    slots = find_slots(
        center=center(), chairs=ch, nurses=nurses(), busy=[], request=request(limit=1)
    )
    assert slots[0].placements[0].chair_id == 1
