"""Lemtrada: 5 consecutive days, then 3 days 12 months later; 4 h infusions, 2 h watch, a bed."""

from decimal import Decimal

from scheduling.models import Protocol


def test_rems_skill_and_bed(catalogue):
    p = Protocol.objects.get(code="alemtuzumab")
    assert p.needs_rems and p.rems_program == "LEMTRADA REMS"
    assert "authorized" in p.rems_checks
    assert p.required_skill == "rems_alemtuzumab"
    assert p.required_chair_kind == "bed"
    assert p.confidence["bed"] == "local"
    assert (p.billing_code, p.billing_unit_amount) == ("J0202", Decimal("1"))
    assert p.premed_causes_drowsiness is True


def test_every_course_day_is_240_minutes_with_120_minutes_observation(rules):
    r = rules("alemtuzumab")
    assert sorted(r) == [
        (1, "standard"),
        (2, "standard"),
        (4, "standard"),
        (6, "standard"),
        (7, "standard"),
    ]
    for rule in r.values():
        assert (rule.infusion_minutes, rule.observation_minutes) == (240, 120)
        assert rule.dose_amount == Decimal("12")


def test_course_1_is_five_consecutive_days(rules):
    r = rules("alemtuzumab")
    assert r[(1, "standard")].interval_days is None
    assert (r[(2, "standard")].to_dose, r[(4, "standard")].to_dose) == (3, 5)
    for start in (2, 4):
        rule = r[(start, "standard")]
        assert (rule.interval_days, rule.interval_anchor, rule.joins_series) == (
            1,
            "previous",
            True,
        )


def test_course_2_is_three_days_a_year_after_course_1_started(rules):
    r = rules("alemtuzumab")
    day1, rest = r[(6, "standard")], r[(7, "standard")]
    assert (day1.to_dose, day1.interval_days, day1.interval_anchor, day1.joins_series) == (
        6,
        365,
        "series_start",
        False,
    )
    assert (rest.to_dose, rest.interval_days, rest.joins_series) == (8, 1, True)


def test_steroid_immediately_before_on_days_1_to_3_of_each_course(rules):
    r = rules("alemtuzumab")
    for start in (1, 2, 6, 7):  # doses 1-3 and 6-8
        rule = r[(start, "standard")]
        assert rule.premed_lead_minutes == 0
        assert "Methylprednisolone 1,000 mg IV" in rule.premed_items
    assert "Methylprednisolone" not in r[(4, "standard")].premed_items


def test_labs(labs):
    reqs = labs("alemtuzumab")
    assert {code: (r.gate, r.max_age_days) for code, r in reqs.items()} == {
        "cbc_diff": ("periodic", 30),
        "serum_creatinine": ("periodic", 30),
        "urinalysis": ("periodic", 30),
        "tsh": ("periodic", 92),
        "skin_exam": ("periodic", 365),
        "vzv_antibodies": ("course_start", None),
        "tb_screening": ("first_dose", None),
    }
    assert reqs["tsh"].confidence == "secondary"
