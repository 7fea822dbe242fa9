"""Tysabri: 1 h every 28 days, TOUCH REMS, 1 h watch for infusions 1-12 only."""

from decimal import Decimal

from scheduling.models import Protocol


def test_rems_and_skill(catalogue):
    p = Protocol.objects.get(code="natalizumab")
    assert p.brand_name == "Tysabri"
    assert p.needs_rems and "TOUCH" in p.rems_program
    assert "Authorized" in p.rems_checks and "Checklist" in p.rems_checks
    assert p.required_skill == "rems_natalizumab"
    assert (p.billing_code, p.billing_unit_amount, p.admin_cpt_codes) == (
        "J2323",
        Decimal("1"),
        ["96365"],
    )
    assert p.premed_causes_drowsiness is False


def test_every_28_days_and_observation_ends_after_infusion_12(rules):
    r = rules("natalizumab")
    assert set(r) == {(1, "standard"), (2, "standard"), (13, "standard")}
    for rule in r.values():
        assert rule.infusion_minutes == 60
        assert rule.premed_lead_minutes == 0 and rule.premed_items == ""
    assert r[(1, "standard")].observation_minutes == 60
    assert (r[(2, "standard")].to_dose, r[(2, "standard")].observation_minutes) == (12, 60)
    assert (r[(13, "standard")].to_dose, r[(13, "standard")].observation_minutes) == (None, 0)
    for dose in (2, 13):
        rule = r[(dose, "standard")]
        assert (rule.interval_days, rule.interval_anchor) == (28, "previous")
        assert (rule.window_early_days, rule.window_late_days) == (3, 7)


def test_labs(labs):
    reqs = labs("natalizumab")
    assert (reqs["brain_mri"].gate, reqs["brain_mri"].max_age_days) == ("first_dose", None)
    assert (reqs["anti_jcv"].gate, reqs["anti_jcv"].max_age_days) == ("periodic", 182)
    assert reqs["anti_jcv"].confidence == "ex_us_label"
    assert reqs["cbc"].gate == "first_dose"
