"""Ocrevus IV: 300 mg day 0 and day 14, then 600 mg every 24 weeks, 1 h observation always."""

from decimal import Decimal

from scheduling.models import Protocol


def test_protocol_facts(catalogue):
    p = Protocol.objects.get(code="ocrelizumab_iv")
    assert (p.brand_name, p.generic_name, p.is_infusion) == ("Ocrevus", "ocrelizumab", True)
    assert p.rems_program == "" and not p.needs_rems
    assert p.required_skill == "" and p.required_chair_kind == ""
    assert (p.billing_code, p.billing_unit_amount) == ("J2350", Decimal("1"))
    assert p.admin_cpt_codes == ["96413", "96415", "96365", "96366"]
    assert p.premed_causes_drowsiness is True
    assert p.confidence["infusion_shorter"] == "unverified"
    assert p.confidence["window"] == "local"


def test_start_doses_are_150_minutes_with_30_minute_premed_and_an_hour_watch(rules):
    r = rules("ocrelizumab_iv")
    for dose in (1, 2):
        rule = r[(dose, "standard")]
        assert rule.to_dose == dose
        assert rule.dose_amount == Decimal("300")
        assert (rule.premed_lead_minutes, rule.infusion_minutes, rule.observation_minutes) == (
            30,
            150,
            60,
        )
        assert "Methylprednisolone 100 mg IV" in rule.premed_items
        assert "antihistamine" in rule.premed_items
    assert r[(1, "standard")].interval_days is None
    assert r[(1, "standard")].joins_series is False


def test_second_start_dose_is_booked_with_the_first_14_days_later(rules):
    rule = rules("ocrelizumab_iv")[(2, "standard")]
    assert rule.joins_series is True
    assert (rule.interval_days, rule.interval_anchor) == (14, "previous")


def test_first_maintenance_counts_24_weeks_from_infusion_1(rules):
    rule = rules("ocrelizumab_iv")[(3, "standard")]
    assert rule.to_dose == 3
    assert (rule.interval_days, rule.interval_anchor, rule.min_interval_days) == (
        168,
        "series_start",
        152,
    )
    assert "140" in rule.notes  # the 20-week conflict is recorded
    assert rule.joins_series is False


def test_later_maintenance_counts_from_the_previous_dose(rules):
    rule = rules("ocrelizumab_iv")[(4, "standard")]
    assert rule.to_dose is None
    assert (rule.interval_days, rule.interval_anchor, rule.min_interval_days) == (
        168,
        "previous",
        152,
    )
    assert (rule.window_early_days, rule.window_late_days) == (0, 14)


def test_maintenance_is_210_minutes_or_120_on_the_shorter_option(rules):
    r = rules("ocrelizumab_iv")
    for dose in (3, 4):
        standard, shorter = r[(dose, "standard")], r[(dose, "shorter")]
        assert standard.infusion_minutes == 210 and standard.confidence == "secondary"
        assert shorter.infusion_minutes == 120 and shorter.confidence == "unverified"
        assert standard.observation_minutes == shorter.observation_minutes == 60
        assert standard.dose_amount == shorter.dose_amount == Decimal("600")
        assert (shorter.interval_days, shorter.interval_anchor) == (
            standard.interval_days,
            standard.interval_anchor,
        )


def test_baseline_labs_gate_the_first_dose_without_an_age_limit(labs):
    reqs = labs("ocrelizumab_iv")
    assert set(reqs) == {"hbv_screening", "immunoglobulins", "lfts"}
    assert {(r.gate, r.max_age_days, r.confidence) for r in reqs.values()} == {
        ("first_dose", None, "label")
    }
