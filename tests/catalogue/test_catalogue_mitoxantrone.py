"""Mitoxantrone: 12 mg/m2 every 3 months, short infusion, lifetime cap 140 mg/m2, chemo nurse."""

from decimal import Decimal

from scheduling.models import Protocol


def test_chemo_dose_unit_and_lifetime_cap(catalogue):
    p = Protocol.objects.get(code="mitoxantrone")
    assert p.required_skill == "chemo"
    assert p.dose_unit == "mg/m2"
    assert p.lifetime_cap == Decimal("140")
    assert int(p.lifetime_cap // Decimal("12")) == 11  # full doses
    assert (p.billing_code, p.billing_unit_amount) == ("J9293", Decimal("5"))
    assert p.rems_program == ""


def test_15_minutes_every_91_days_no_premed_no_observation(rules):
    r = rules("mitoxantrone")
    assert set(r) == {(1, "standard"), (2, "standard")}
    for rule in r.values():
        assert (rule.premed_lead_minutes, rule.infusion_minutes, rule.observation_minutes) == (
            0,
            15,
            0,
        )
        assert rule.dose_amount == Decimal("12")
    later = r[(2, "standard")]
    assert (later.to_dose, later.interval_days, later.interval_anchor) == (None, 91, "previous")


def test_heart_and_blood_checks_before_each_dose(labs):
    reqs = labs("mitoxantrone")
    assert set(reqs) == {"lvef", "cbc", "lfts", "pregnancy_test"}
    assert all(r.gate == "each_dose" and r.max_age_days is None for r in reqs.values())
    assert reqs["lvef"].confidence == "label"
