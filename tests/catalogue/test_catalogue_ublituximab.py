"""Briumvi: 4 h first infusion, 1 h after; 1 h watch after the first two only."""

from decimal import Decimal

from scheduling.models import Protocol


def test_protocol_facts(catalogue):
    p = Protocol.objects.get(code="ublituximab")
    assert (p.brand_name, p.generic_name) == ("Briumvi", "ublituximab-xiiy")
    assert (p.billing_code, p.billing_unit_amount) == ("J2329", Decimal("1"))
    assert p.premed_causes_drowsiness is True
    assert p.confidence["min_interval"] == "ex_us_label"


def test_dose_timings(rules):
    r = rules("ublituximab")
    assert set(r) == {(1, "standard"), (2, "standard"), (3, "standard"), (4, "standard")}
    expected = {1: (30, 240, 60), 2: (30, 60, 60), 3: (30, 60, 0), 4: (30, 60, 0)}
    for dose, timing in expected.items():
        rule = r[(dose, "standard")]
        assert (rule.premed_lead_minutes, rule.infusion_minutes, rule.observation_minutes) == timing
    assert r[(1, "standard")].dose_amount == Decimal("150")
    assert r[(2, "standard")].dose_amount == r[(4, "standard")].dose_amount == Decimal("450")


def test_spacing(rules):
    r = rules("ublituximab")
    second, third, later = r[(2, "standard")], r[(3, "standard")], r[(4, "standard")]
    assert (second.interval_days, second.interval_anchor, second.joins_series) == (
        14,
        "previous",
        True,
    )
    assert (third.interval_days, third.interval_anchor, third.min_interval_days) == (
        168,
        "series_start",
        152,
    )
    assert (later.interval_days, later.interval_anchor, later.min_interval_days) == (
        168,
        "previous",
        152,
    )
    assert later.to_dose is None


def test_baseline_labs(labs):
    assert set(labs("ublituximab")) == {"hbv_screening", "immunoglobulins", "lfts"}
