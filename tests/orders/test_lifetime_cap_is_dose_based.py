"""Mitoxantrone: lifetime cumulative dose in mg/m² from given doses, headroom shown, booking
refused past the cap (by dose, not by a count of doses)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from orders.selectors import patient_coverage
from scheduling import services
from scheduling.models import InfusionSession
from tests.conftest import at


def _past_dose(clinic, patient, protocol, dose, days_ago):
    from django.utils import timezone

    return services.record_past_dose(
        patient=patient,
        protocol=protocol,
        dose_number=dose,
        start=timezone.now() - dt.timedelta(days=days_ago),
        chair=clinic["chairs"][0],
    )


def test_cumulative_dose_and_headroom_from_given_doses(clinic, make_patient, give_order):
    mito = clinic["protocols"]["mitoxantrone"]
    patient = make_patient()
    give_order(patient, "mitoxantrone", dose_mg_per_m2=10, signed_on=dt.date(2020, 1, 1), doses=20)
    for i, days_ago in enumerate((300, 200, 100), start=1):
        _past_dose(clinic, patient, mito, i, days_ago)
    (cum,) = patient_coverage(patient=patient).cumulative
    assert cum.given == Decimal("30")  # three doses of 10 mg/m² as ordered
    assert cum.headroom == Decimal("110")


def test_booking_past_the_cap_is_refused_by_dose(clinic, clinic_day, make_patient, give_order):
    from patients.models import PatientProtocol

    mito = clinic["protocols"]["mitoxantrone"]
    patient = make_patient()
    # 11 doses elsewhere at the catalogue's 12 mg/m²: 132 given, 8 left.
    PatientProtocol.objects.create(patient=patient, protocol=mito, doses_before_center=11)
    give_order(patient, "mitoxantrone", dose_mg_per_m2=12)
    with pytest.raises(services.SchedulingError) as err:
        services.book_session(
            patient=patient, protocol=mito, dose_number=12, start=at(clinic_day, 9)
        )
    assert err.value.field == "dose_number"
    assert "lifetime limit of 140 mg/m2" in str(err.value)
    assert "132 mg/m2 given" in str(err.value) and "(8 left)" in str(err.value)


def test_a_reduced_dose_that_fits_the_headroom_is_booked(
    clinic, clinic_day, make_patient, give_order
):
    """A fixed count (11 doses) would refuse a 12th dose; by dose, 8 mg/m² still fits."""
    from patients.models import PatientProtocol

    mito = clinic["protocols"]["mitoxantrone"]
    patient = make_patient()
    PatientProtocol.objects.create(patient=patient, protocol=mito, doses_before_center=11)
    give_order(patient, "mitoxantrone", dose_mg_per_m2=8)
    session = services.book_session(
        patient=patient, protocol=mito, dose_number=12, start=at(clinic_day, 9)
    )
    assert InfusionSession.objects.filter(pk=session.pk).exists()
    (cum,) = patient_coverage(patient=patient).cumulative
    assert cum.given == Decimal("132") and cum.booked == Decimal("8")
    assert cum.left_after_booked == Decimal("0")
