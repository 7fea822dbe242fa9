"""Requests a coordinator must fix get a SchedulingError naming the field, and nothing is
written."""

import datetime as dt

import pytest
from django.utils import timezone

from scheduling import services
from scheduling.exceptions import OutsideHours, SchedulingError, SpacingViolation
from scheduling.models import Closure, InfusionSession, Reminder
from tests.conftest import at

pytestmark = pytest.mark.django_db


def _book(clinic, patient, start, code="ocrelizumab_iv", dose=1, **kw):
    return services.book_session(
        patient=patient, protocol=clinic["protocols"][code], dose_number=dose, start=start, **kw
    )


def test_naive_datetime_is_rejected(clinic, clinic_day, make_patient):
    with pytest.raises(SchedulingError) as err:
        _book(clinic, make_patient(), dt.datetime.combine(clinic_day, dt.time(9)))
    assert err.value.field == "start"
    assert "offset" in str(err.value)


def test_past_start_is_rejected(clinic, make_patient):
    with pytest.raises(SchedulingError, match="past"):
        _book(clinic, make_patient(), timezone.now() - dt.timedelta(hours=2))


def test_after_closing_time_is_outside_hours(clinic, clinic_day, make_patient):
    # 16:00 + 30 + 150 + 60 minutes ends 20:00, after the 19:00 close.
    with pytest.raises(OutsideHours):
        _book(clinic, make_patient(), at(clinic_day, 16))
    assert not InfusionSession.objects.exists()
    assert not Reminder.objects.exists()


def test_weekend_and_closure_are_outside_hours(clinic, clinic_day, make_patient):
    with pytest.raises(OutsideHours):
        _book(clinic, make_patient(), at(clinic_day - dt.timedelta(days=1), 9))  # Sunday
    Closure.objects.create(date=clinic_day, reason="Staff training")
    with pytest.raises(OutsideHours):
        _book(clinic, make_patient(), at(clinic_day, 9))


def test_dose_must_be_the_next_one(clinic, clinic_day, make_patient):
    with pytest.raises(SchedulingError) as err:
        _book(clinic, make_patient(), at(clinic_day, 9), dose=3)
    assert err.value.field == "dose_number"
    assert "next dose is 1" in str(err.value)


def test_mitoxantrone_stops_at_the_lifetime_cap(clinic, clinic_day, make_patient):
    from patients.models import PatientProtocol

    patient = make_patient()
    PatientProtocol.objects.create(
        patient=patient, protocol=clinic["protocols"]["mitoxantrone"], doses_before_center=11
    )
    with pytest.raises(SchedulingError, match="lifetime"):
        _book(clinic, patient, at(clinic_day, 9), code="mitoxantrone", dose=12)


def test_too_soon_after_the_previous_dose_is_refused(clinic, clinic_day, make_patient):
    patient = make_patient()
    tysabri = clinic["protocols"]["natalizumab"]
    _book(clinic, patient, at(clinic_day, 9), code="natalizumab")
    with pytest.raises(SpacingViolation):
        _book(clinic, patient, at(clinic_day + dt.timedelta(days=7), 9), code="natalizumab", dose=2)
    assert InfusionSession.objects.filter(patient=patient, protocol=tysabri).count() == 1


def test_outside_window_needs_and_stores_an_override_reason(clinic, clinic_day, make_patient):
    patient = make_patient()
    _book(clinic, patient, at(clinic_day, 9), code="natalizumab")
    late = clinic_day + dt.timedelta(days=42)  # 4-week interval, well past the window
    with pytest.raises(SpacingViolation) as err:
        _book(clinic, patient, at(late, 9), code="natalizumab", dose=2)
    assert err.value.field == "override_reason"
    session = _book(
        clinic,
        patient,
        at(late, 9),
        code="natalizumab",
        dose=2,
        override_reason="Patient travelling",
    )
    assert session.override_reason == "Patient travelling"
    assert session.audit_events.get(action="booked").reason == "Patient travelling"


def test_unknown_option_is_rejected(clinic, clinic_day, make_patient):
    with pytest.raises(SchedulingError) as err:
        _book(clinic, make_patient(), at(clinic_day, 9), option="turbo")
    assert err.value.field == "option"
