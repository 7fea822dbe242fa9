"""The issue's worked counts: HCPCS drug units and CPT administration codes per session."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from orders import billing
from orders.estimate import estimate
from orders.selectors import ledger


def _codes(est):
    return [(c.code, c.units) for c in est.admin_codes]


@pytest.fixture
def day(clinic_day):
    return clinic_day


def _estimate(patient, protocol, dose, day, option="standard"):
    return estimate(
        ledger(patient),
        protocol=protocol,
        dose_number=dose,
        day=day,
        option=option,
        infusion_minutes=None,
    )


def test_ocrevus_600_mg_over_210_minutes(clinic, day, make_patient, prices):
    est = _estimate(make_patient(), clinic["protocols"]["ocrelizumab_iv"], 3, day)
    assert est.infusion_minutes == 210
    assert (est.hcpcs, est.drug_units) == ("J2350", 600)
    assert _codes(est) == [("96365", 1), ("96366", 2)]


def test_ocrevus_shorter_120_minute_option_has_one_add_on_hour(clinic, day, make_patient, prices):
    est = _estimate(make_patient(), clinic["protocols"]["ocrelizumab_iv"], 3, day, "shorter")
    assert est.infusion_minutes == 120
    assert est.drug_units == 600
    assert _codes(est) == [("96365", 1), ("96366", 1)]


def test_tysabri_60_minutes_is_the_initial_hour_alone(clinic, day, make_patient, prices):
    est = _estimate(make_patient(), clinic["protocols"]["natalizumab"], 1, day)
    assert (est.hcpcs, est.drug_units) == ("J2323", 300)
    assert _codes(est) == [("96365", 1)]


def test_briumvi_dose_1_over_240_minutes_has_three_add_on_hours(clinic, day, make_patient, prices):
    est = _estimate(make_patient(), clinic["protocols"]["ublituximab"], 1, day)
    assert est.infusion_minutes == 240
    assert (est.hcpcs, est.drug_units) == ("J2329", 150)
    # Briumvi bills under the chemotherapy / complex-biologic family in the catalogue.
    assert _codes(est) == [("96413", 1), ("96415", 3)]


def test_mitoxantrone_12_mg_per_m2_at_bsa_1_90(clinic, day, make_patient, give_order, prices):
    from orders import services

    patient = make_patient()
    # Mosteller: sqrt(171 cm x 76 kg / 3600) = sqrt(3.61) = 1.90 m².
    services.record_measurement(
        patient=patient, measured_on=day - dt.timedelta(days=30), height_cm=171, weight_kg=76
    )
    give_order(patient, "mitoxantrone", dose_mg_per_m2=12)
    est = _estimate(patient, clinic["protocols"]["mitoxantrone"], 1, day)
    assert est.bsa == Decimal("1.90")
    assert est.dose_mg == Decimal("22.8")
    assert (est.hcpcs, est.drug_units) == ("J9293", 5)
    # 15 minutes is a push, not an infusion hour: chemotherapy push.
    assert _codes(est) == [("96409", 1)]


def test_mitoxantrone_without_height_and_weight_has_no_made_up_units(
    clinic, day, make_patient, prices
):
    est = _estimate(make_patient(), clinic["protocols"]["mitoxantrone"], 1, day)
    assert est.dose_mg is None and est.drug_units is None
    assert all(v is None for v in est.sites.values())
    assert any("height and weight" in n for n in est.notes)


@pytest.mark.parametrize(
    "minutes,expected",
    [
        (10, [("96374", 1)]),
        (15, [("96374", 1)]),
        (16, [("96365", 1)]),
        (60, [("96365", 1)]),
        (90, [("96365", 1)]),
        (91, [("96365", 1), ("96366", 1)]),
        (150, [("96365", 1), ("96366", 1)]),
        (151, [("96365", 1), ("96366", 2)]),
        (210, [("96365", 1), ("96366", 2)]),
        (211, [("96365", 1), ("96366", 3)]),
    ],
)
def test_add_on_hour_counts_only_past_30_minutes(minutes, expected):
    assert [(c.code, c.units) for c in billing.admin_codes(minutes, "infusion")] == expected


def test_drug_units_round_up_to_the_next_unit():
    assert billing.drug_units(Decimal("22.8"), Decimal("5")) == 5
    assert billing.drug_units(Decimal("25.0"), Decimal("5")) == 5
    assert billing.drug_units(Decimal("25.1"), Decimal("5")) == 6
    assert billing.drug_units(Decimal("1000"), Decimal("125")) == 8


def test_mosteller_bsa():
    assert billing.mosteller_bsa(171, 76) == Decimal("1.90")
    assert billing.mosteller_bsa(180, 80) == Decimal("2.00")
