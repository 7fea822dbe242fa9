from datetime import date, timedelta

import pytest

from scheduling.engine import (
    DoseRuleSpec,
    DoseTiming,
    GivenDose,
    Leg,
    check_spacing,
    max_doses_for_cap,
    next_due,
    rule_for,
    series_legs,
    series_start_dose,
)

T = DoseTiming(30, 210, 60)
T2 = DoseTiming(30, 150, 60)
D1 = date(2026, 1, 5)


def d(n):
    return D1 + timedelta(days=n)


OCREVUS = [
    DoseRuleSpec(1, 1, timing=T, dose_amount=300),
    DoseRuleSpec(
        2,
        2,
        timing=T,
        interval_days=14,
        joins_series=True,
        min_interval_days=13,
        window_late_days=3,
        dose_amount=300,
    ),
    DoseRuleSpec(
        3,
        3,
        timing=T2,
        interval_days=168,
        interval_anchor="series_start",
        min_interval_days=152,
        window_early_days=14,
        window_late_days=14,
        dose_amount=600,
    ),
    DoseRuleSpec(
        4,
        None,
        timing=T2,
        interval_days=168,
        min_interval_days=152,
        window_early_days=14,
        window_late_days=14,
        dose_amount=600,
    ),
]
BRIUMVI = [
    DoseRuleSpec(1, 1, timing=DoseTiming(30, 240, 60), dose_amount=150),
    DoseRuleSpec(
        2, 2, timing=DoseTiming(30, 60, 60), interval_days=14, joins_series=True, dose_amount=450
    ),
    DoseRuleSpec(
        3,
        3,
        timing=DoseTiming(30, 60, 0),
        interval_days=168,
        interval_anchor="series_start",
        min_interval_days=152,
        window_early_days=7,
        window_late_days=7,
        dose_amount=450,
    ),
    DoseRuleSpec(
        4,
        None,
        timing=DoseTiming(30, 60, 0),
        interval_days=168,
        min_interval_days=152,
        window_early_days=7,
        window_late_days=7,
        dose_amount=450,
    ),
]
LT = DoseTiming(60, 240, 120)
LEMTRADA = [
    DoseRuleSpec(1, 1, timing=LT),
    DoseRuleSpec(2, 5, timing=LT, interval_days=1, joins_series=True),
    DoseRuleSpec(
        6,
        6,
        timing=LT,
        interval_days=365,
        interval_anchor="series_start",
        min_interval_days=330,
        window_late_days=30,
    ),
    DoseRuleSpec(7, 8, timing=LT, interval_days=1, joins_series=True),
]
TY = DoseTiming(0, 60, 60)
TYSABRI = [
    DoseRuleSpec(1, 1, timing=TY),
    DoseRuleSpec(
        2,
        None,
        timing=TY,
        interval_days=28,
        min_interval_days=21,
        window_early_days=3,
        window_late_days=7,
    ),
    DoseRuleSpec(
        2,
        None,
        option="eid",
        timing=DoseTiming(0, 60, 0),
        interval_days=42,
        min_interval_days=35,
        window_early_days=7,
        window_late_days=7,
    ),
]
MITO = [
    DoseRuleSpec(1, 1, timing=DoseTiming(30, 30, 0), dose_amount=12),
    DoseRuleSpec(
        2,
        None,
        timing=DoseTiming(30, 30, 0),
        interval_days=91,
        min_interval_days=80,
        window_early_days=7,
        window_late_days=14,
        dose_amount=12,
    ),
]
STEROIDS = [
    DoseRuleSpec(1, 1, timing=DoseTiming(0, 60, 30)),
    DoseRuleSpec(2, 3, timing=DoseTiming(0, 60, 30), interval_days=1, joins_series=True),
    DoseRuleSpec(
        4, 5, timing=DoseTiming(0, 60, 30), interval_days=1, joins_series=True, optional=True
    ),
]


# ---- rule_for ----


def test_rule_for_ranges_and_open_end():
    assert rule_for(OCREVUS, 1).from_dose == 1
    assert rule_for(OCREVUS, 4).from_dose == 4
    assert rule_for(OCREVUS, 40).from_dose == 4


def test_rule_for_option_falls_back_to_standard():
    assert rule_for(TYSABRI, 1, "eid").option == "standard"
    assert rule_for(TYSABRI, 5, "eid").interval_days == 42
    assert rule_for(TYSABRI, 5).interval_days == 28


def test_rule_for_uncovered():
    with pytest.raises(ValueError, match="dose 9"):
        rule_for(LEMTRADA, 9)
    with pytest.raises(ValueError):
        rule_for(OCREVUS, 0)


# ---- series ----


def test_ocrevus_series():
    legs = series_legs(OCREVUS, 1)
    assert [(leg.dose_number, leg.day_offset) for leg in legs] == [(1, 0), (2, 14)]
    assert [(leg.dose_number, leg.day_offset) for leg in series_legs(OCREVUS, 3)] == [(3, 0)]
    assert series_start_dose(OCREVUS, 2) == 1


def test_lemtrada_series():
    assert [(leg.dose_number, leg.day_offset) for leg in series_legs(LEMTRADA, 1)] == [
        (1, 0),
        (2, 1),
        (3, 2),
        (4, 3),
        (5, 4),
    ]
    assert [(leg.dose_number, leg.day_offset) for leg in series_legs(LEMTRADA, 6)] == [
        (6, 0),
        (7, 1),
        (8, 2),
    ]
    assert all(isinstance(leg, Leg) and leg.timing == LT for leg in series_legs(LEMTRADA, 1))
    assert series_start_dose(LEMTRADA, 5) == 1 and series_start_dose(LEMTRADA, 8) == 6


def test_optional_joined_doses():
    assert len(series_legs(STEROIDS, 1)) == 3
    assert len(series_legs(STEROIDS, 1, length=5)) == 5
    assert len(series_legs(STEROIDS, 1, length=4)) == 4
    assert len(series_legs(STEROIDS, 1, length=2)) == 2


def test_briumvi_series_timings():
    legs = series_legs(BRIUMVI, 1)
    assert [leg.timing.infusion_minutes for leg in legs] == [240, 60]
    assert legs[1].day_offset == 14


# ---- next due ----


def test_first_dose_has_no_due_date():
    due = next_due(OCREVUS, [])
    assert due.dose_number == 1 and due.due_date is None and due.earliest_date is None


def test_ocrevus_dose3_anchors_on_series_start():
    hist = [GivenDose(1, d(0)), GivenDose(2, d(15))]
    due = next_due(OCREVUS, hist)
    assert due.dose_number == 3
    assert due.due_date == d(168)  # 24 weeks after dose 1, not dose 2
    assert (due.window_start, due.window_end) == (d(154), d(182))
    assert due.earliest_date == d(15 + 152)  # minimum after the previous dose


def test_ocrevus_dose4_anchors_on_previous():
    hist = [GivenDose(1, d(0)), GivenDose(2, d(14)), GivenDose(3, d(170))]
    assert next_due(OCREVUS, hist).due_date == d(170 + 168)


def test_ocrevus_late_dose_resets_next_due():
    on_time = [GivenDose(1, d(0)), GivenDose(2, d(14)), GivenDose(3, d(168))]
    late = [GivenDose(1, d(0)), GivenDose(2, d(14)), GivenDose(3, d(168 + 60))]
    assert next_due(OCREVUS, on_time).due_date == d(336)
    assert next_due(OCREVUS, late).due_date == d(168 + 60 + 168)
    # and the dose after follows the new rhythm
    assert next_due(OCREVUS, late + [GivenDose(4, d(396))]).due_date == d(396 + 168)


def test_briumvi_next_due():
    hist = [GivenDose(1, d(0)), GivenDose(2, d(14))]
    due = next_due(BRIUMVI, hist)
    assert due.due_date == d(168) and due.window_start == d(161) and due.window_end == d(175)


def test_lemtrada_second_course_one_year_after_first_day():
    hist = [GivenDose(i + 1, d(i)) for i in range(5)]
    due = next_due(LEMTRADA, hist)
    assert due.dose_number == 6 and due.due_date == d(365)
    assert next_due(LEMTRADA, hist + [GivenDose(6, d(370))]).due_date == d(371)
    full = hist + [GivenDose(6, d(370)), GivenDose(7, d(371)), GivenDose(8, d(372))]
    assert next_due(LEMTRADA, full) is None  # no rule for dose 9: treatment complete


def test_tysabri_standard_and_extended_interval():
    hist = [GivenDose(1, d(0)), GivenDose(2, d(28))]
    assert next_due(TYSABRI, hist).due_date == d(56)
    assert next_due(TYSABRI, hist, option="eid").due_date == d(28 + 42)


def test_mitoxantrone_lifetime_cap():
    n = max_doses_for_cap(140, 12)
    assert n == 11
    assert max_doses_for_cap(144, 12) == 12
    hist = [GivenDose(i + 1, d(91 * i)) for i in range(10)]
    assert next_due(MITO, hist, max_doses=n).dose_number == 11
    hist.append(GivenDose(11, d(910)))
    assert next_due(MITO, hist, max_doses=n) is None
    with pytest.raises(ValueError):
        max_doses_for_cap(140, 0)


# ---- spacing ----


def test_spacing_in_window():
    hist = [GivenDose(1, d(0)), GivenDose(2, d(14))]
    c = check_spacing(OCREVUS, hist, 3, d(170), "standard")
    assert c.ok_in_window and c.violation is None and not c.needs_override


def test_spacing_before_minimum_is_hard():
    hist = [GivenDose(1, d(0)), GivenDose(2, d(14))]
    c = check_spacing(OCREVUS, hist, 3, d(14 + 151), "standard")
    assert not c.ok_in_window and c.violation is not None and c.violation.rule == "spacing"
    assert not c.needs_override
    assert "minimum" in c.message


def test_spacing_early_but_after_minimum_needs_override():
    hist = [GivenDose(1, d(0)), GivenDose(2, d(14))]
    c = check_spacing(
        OCREVUS, hist, 3, d(14 + 152), "standard"
    )  # 166: after min, before window? window starts 154
    assert c.ok_in_window
    hist2 = [GivenDose(1, d(0)), GivenDose(2, d(14)), GivenDose(3, d(168))]
    c = check_spacing(OCREVUS, hist2, 4, d(168 + 153), "standard")  # window starts 168+154
    assert c.needs_override and c.violation is None and not c.ok_in_window and "early" in c.message


def test_spacing_late_needs_override():
    hist = [GivenDose(1, d(0)), GivenDose(2, d(14))]
    c = check_spacing(OCREVUS, hist, 3, d(200), "standard")
    assert c.needs_override and c.violation is None and "late" in c.message


def test_spacing_ignores_later_history_and_uses_option():
    hist = [GivenDose(1, d(0)), GivenDose(2, d(28)), GivenDose(3, d(56))]
    # re-checking dose 3 on another date: only doses < 3 count
    assert check_spacing(TYSABRI, hist, 3, d(57), "standard").ok_in_window
    assert check_spacing(TYSABRI, hist, 3, d(28 + 42), "eid").ok_in_window
    assert check_spacing(TYSABRI, hist, 3, d(28 + 30), "eid").violation is not None


def test_spacing_before_previous_dose_is_hard():
    hist = [GivenDose(1, d(10))]
    c = check_spacing(LEMTRADA, hist, 2, d(9), "standard")
    assert c.violation is not None and c.violation.rule == "spacing"


def test_first_dose_no_window():
    c = check_spacing(OCREVUS, [], 1, d(0), "standard")
    assert c.ok_in_window and not c.needs_override


def test_a_dose_whose_previous_dose_is_gone_is_refused_with_a_reason_not_an_error():
    """Found by the booking property test: Lemtrada dose 4 cancelled, then dose 5 moved.
    Before, _due raised ValueError (a 500 through the API)."""
    hist = [GivenDose(1, d(0)), GivenDose(2, d(1)), GivenDose(3, d(2))]
    c = check_spacing(LEMTRADA, hist, 5, d(4), "standard")
    assert not c.ok_in_window
    assert c.violation is not None and c.violation.rule == "spacing"
    assert "dose 4" in c.message
