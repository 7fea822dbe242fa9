"""Biologics need an authorization valid on the day with visits and units left (409, code
"authorization") unless an override reason is given, which is stored and audited."""

from __future__ import annotations

import datetime as dt

import pytest

from orders.models import CoverageOverride
from scheduling import services
from scheduling.models import AuditEvent, InfusionSession
from tests.conftest import at


def _book(clinic, patient, start, code="natalizumab", dose=1, **kw):
    return services.book_session(
        patient=patient, protocol=clinic["protocols"][code], dose_number=dose, start=start, **kw
    )


def test_the_biologics_need_an_authorization_and_steroids_do_not(catalogue):
    assert catalogue["natalizumab"].needs_authorization
    assert catalogue["ocrelizumab_iv"].needs_authorization
    assert catalogue["ublituximab"].needs_authorization
    assert catalogue["alemtuzumab"].needs_authorization
    assert not catalogue["methylprednisolone_relapse"].needs_authorization
    assert not catalogue["mitoxantrone"].needs_authorization


def test_no_authorization_is_refused(clinic, clinic_day, make_patient, give_order):
    patient = make_patient()
    give_order(patient, "natalizumab")
    with pytest.raises(services.BookingConflict) as err:
        _book(clinic, patient, at(clinic_day, 9))
    assert err.value.code == "authorization"
    assert "No insurance authorization for J2323" in str(err.value)


def test_outside_the_authorization_window_is_refused(
    clinic, clinic_day, make_patient, give_order, give_authorization
):
    patient = make_patient()
    give_order(patient, "natalizumab")
    auth = give_authorization(
        patient, ["J2323"], valid_to=clinic_day - dt.timedelta(days=1), number="PA-77"
    )
    with pytest.raises(services.BookingConflict) as err:
        _book(clinic, patient, at(clinic_day, 9))
    assert err.value.code == "authorization"
    assert "#PA-77" in str(err.value) and "not on" in str(err.value)
    assert err.value.conflicts[0]["resource"] == f"authorization:{auth.pk}"


def test_an_authorization_for_another_drug_does_not_cover(
    clinic, clinic_day, make_patient, give_order, give_authorization
):
    patient = make_patient()
    give_order(patient, "natalizumab")
    give_authorization(patient, ["J2350"])
    with pytest.raises(services.BookingConflict) as err:
        _book(clinic, patient, at(clinic_day, 9))
    assert err.value.code == "authorization"


def test_beyond_the_approved_visits_is_refused(clinic, clinic_day, make_patient, covered):
    patient = make_patient()
    covered(patient, "natalizumab", visits=1)
    _book(clinic, patient, at(clinic_day, 9))
    with pytest.raises(services.BookingConflict) as err:
        _book(clinic, patient, at(clinic_day + dt.timedelta(days=28), 9), dose=2)
    assert err.value.code == "authorization"
    assert "allows 1 visits and 1 are booked" in str(err.value)
    assert InfusionSession.objects.filter(patient=patient).count() == 1


def test_beyond_the_approved_units_is_refused(clinic, clinic_day, make_patient, covered):
    patient = make_patient()
    covered(patient, "natalizumab", units=500)  # one 300 mg dose fits, two do not
    _book(clinic, patient, at(clinic_day, 9))
    with pytest.raises(services.BookingConflict) as err:
        _book(clinic, patient, at(clinic_day + dt.timedelta(days=28), 9), dose=2)
    assert err.value.code == "authorization"
    assert "500 units of J2323; 300 are booked" in str(err.value)


def test_moving_past_the_authorization_end_is_refused(
    clinic, clinic_day, make_patient, give_order, give_authorization
):
    patient = make_patient()
    give_order(patient, "natalizumab")
    give_authorization(patient, ["J2323"], valid_to=clinic_day + dt.timedelta(days=2))
    session = _book(clinic, patient, at(clinic_day, 9))
    with pytest.raises(services.BookingConflict) as err:
        services.reschedule(session=session, start=at(clinic_day + dt.timedelta(days=7), 9))
    assert err.value.code == "authorization"
    session.refresh_from_db()
    assert session.start == at(clinic_day, 9)


def test_an_override_reason_lets_it_through_and_is_stored_and_audited(
    clinic, clinic_day, make_patient, give_order, give_authorization, make_staff
):
    desk = make_staff("front_desk")
    patient = make_patient()
    give_order(patient, "natalizumab")
    auth = give_authorization(patient, ["J2323"], valid_to=clinic_day + dt.timedelta(days=2))
    session = _book(clinic, patient, at(clinic_day, 9), by=desk)
    reason = "Renewal submitted to the payer, approval expected this week"
    moved = services.reschedule(
        session=session,
        start=at(clinic_day + dt.timedelta(days=7), 9),
        override_reason=reason,
        by=desk,
    )
    assert moved.override_reason == reason
    override = CoverageOverride.objects.get(patient=patient)
    assert override.authorization == auth
    assert override.reason == reason and override.by == desk
    assert override.day == clinic_day + dt.timedelta(days=7)
    audit = AuditEvent.objects.get(action="authorization_override")
    assert audit.actor == desk and audit.reason == reason
    assert audit.after["patient_id"] == patient.pk
    assert "not on" in audit.after["problem"]
    assert AuditEvent.objects.filter(session=moved, action="rescheduled", reason=reason).exists()


def test_an_override_never_covers_a_missing_order(clinic, clinic_day, make_patient):
    with pytest.raises(services.BookingConflict) as err:
        _book(clinic, make_patient(), at(clinic_day, 9), override_reason="urgent")
    assert err.value.code == "order"


def test_a_failed_booking_leaves_no_override_behind(
    clinic, clinic_day, make_patient, give_order, give_authorization
):
    patient = make_patient()
    give_order(patient, "natalizumab")
    give_authorization(patient, ["J2323"], valid_to=clinic_day - dt.timedelta(days=1))
    with pytest.raises(services.OutsideHours):
        _book(clinic, patient, at(clinic_day, 18), override_reason="payer renewal pending")
    assert not CoverageOverride.objects.exists()
