"""IV methylprednisolone for relapse: 1,000 mg daily for 3-5 consecutive days, 1 h each."""

from decimal import Decimal

from scheduling.models import Protocol


def test_protocol_facts(catalogue):
    p = Protocol.objects.get(code="methylprednisolone_relapse")
    assert p.generic_name == "methylprednisolone sodium succinate"
    assert (p.billing_code, p.billing_unit_amount) == ("J2930", Decimal("125"))
    assert p.lab_requirements.count() == 0


def test_three_day_course_with_optional_days_4_and_5(rules):
    r = rules("methylprednisolone_relapse")
    assert set(r) == {(1, "standard"), (2, "standard"), (4, "standard")}
    for rule in r.values():
        assert (rule.infusion_minutes, rule.observation_minutes) == (60, 0)
        assert rule.dose_amount == Decimal("1000")
    assert r[(1, "standard")].to_dose == 1 and not r[(1, "standard")].joins_series
    days_2_3, days_4_5 = r[(2, "standard")], r[(4, "standard")]
    assert (days_2_3.to_dose, days_2_3.interval_days, days_2_3.joins_series, days_2_3.optional) == (
        3,
        1,
        True,
        False,
    )
    assert (days_4_5.to_dose, days_4_5.interval_days, days_4_5.joins_series, days_4_5.optional) == (
        5,
        1,
        True,
        True,
    )
