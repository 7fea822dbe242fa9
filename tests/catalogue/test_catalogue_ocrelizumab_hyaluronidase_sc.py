"""Ocrevus Zunovo: a 10-minute injection every 6 months; 1 h watch after the first, then 15 min."""

from decimal import Decimal

from scheduling.models import Protocol


def test_protocol_facts(catalogue):
    p = Protocol.objects.get(code="ocrelizumab_hyaluronidase_sc")
    assert p.brand_name == "Ocrevus Zunovo"
    assert p.is_infusion is False
    assert "abdomen" in p.route
    assert p.billing_code == "J2351"
    assert p.billing_unit_amount is None  # not confirmed by the reference
    assert p.premed_causes_drowsiness is True
    assert p.confidence["billing"] == "secondary"


def test_first_injection_then_every_168_days(rules):
    r = rules("ocrelizumab_hyaluronidase_sc")
    assert set(r) == {(1, "standard"), (2, "standard")}
    first, later = r[(1, "standard")], r[(2, "standard")]
    assert (first.premed_lead_minutes, first.infusion_minutes, first.observation_minutes) == (
        30,
        10,
        60,
    )
    assert (later.premed_lead_minutes, later.infusion_minutes, later.observation_minutes) == (
        30,
        10,
        15,
    )
    assert later.to_dose is None
    assert (later.interval_days, later.interval_anchor) == (168, "previous")
    assert later.min_interval_days is None  # the reference gives none for Zunovo
    assert first.dose_amount == later.dose_amount == Decimal("920")
    assert "dexamethasone" in first.premed_items


def test_baseline_labs(labs):
    reqs = labs("ocrelizumab_hyaluronidase_sc")
    assert set(reqs) == {"hbv_screening", "immunoglobulins"}
    assert all(r.gate == "first_dose" and r.max_age_days is None for r in reqs.values())
