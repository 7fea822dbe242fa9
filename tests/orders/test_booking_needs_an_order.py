"""Booking a dose needs an active treatment order that covers it (409, code "order")."""

from __future__ import annotations

import datetime as dt

import pytest

from scheduling import services
from scheduling.models import InfusionSession
from tests.conftest import at


def _book(clinic, patient, start, code="natalizumab", dose=1, **kw):
    return services.book_session(
        patient=patient, protocol=clinic["protocols"][code], dose_number=dose, start=start, **kw
    )


def test_booking_without_an_order_is_refused(clinic, clinic_day, make_patient):
    patient = make_patient()
    with pytest.raises(services.BookingConflict) as err:
        _book(clinic, patient, at(clinic_day, 9))
    assert err.value.code == "order"
    assert "No treatment order for Tysabri" in str(err.value)
    assert not InfusionSession.objects.filter(patient=patient).exists()


def test_an_order_for_another_protocol_does_not_cover(clinic, clinic_day, make_patient, covered):
    patient = make_patient()
    covered(patient, "ocrelizumab_iv")
    with pytest.raises(services.BookingConflict) as err:
        _book(clinic, patient, at(clinic_day, 9))
    assert err.value.code == "order"


def test_a_covering_order_lets_the_booking_through(clinic, clinic_day, make_patient, covered):
    patient = make_patient()
    covered(patient, "natalizumab")
    session = _book(clinic, patient, at(clinic_day, 9))
    assert session.pk


def test_an_order_that_expires_before_the_day_does_not_cover(
    clinic, clinic_day, make_patient, covered
):
    patient = make_patient()
    covered(patient, "natalizumab", expires_on=clinic_day - dt.timedelta(days=1))
    with pytest.raises(services.BookingConflict) as err:
        _book(clinic, patient, at(clinic_day, 9))
    assert err.value.code == "order"
    assert "ends on" in str(err.value)


def test_the_order_end_date_bounds_it_too(clinic, clinic_day, make_patient, covered):
    patient = make_patient()
    covered(patient, "natalizumab", doses=None, end_date=clinic_day - dt.timedelta(days=1))
    with pytest.raises(services.BookingConflict) as err:
        _book(clinic, patient, at(clinic_day, 9))
    assert err.value.code == "order"


def test_the_ordered_number_of_doses_is_used_up_by_booked_doses(
    clinic, clinic_day, make_patient, covered
):
    patient = make_patient()
    covered(patient, "natalizumab", doses=1)
    _book(clinic, patient, at(clinic_day, 9))
    with pytest.raises(services.BookingConflict) as err:
        _book(clinic, patient, at(clinic_day + dt.timedelta(days=28), 9), dose=2)
    assert err.value.code == "order"
    assert "All 1 doses" in str(err.value)


def test_a_series_needs_the_order_to_cover_every_dose(clinic, clinic_day, make_patient, covered):
    patient = make_patient()
    # Ocrevus start: day 0 and day 14; an order for one dose covers only the first.
    covered(patient, "ocrelizumab_iv", doses=1)
    with pytest.raises(services.BookingConflict) as err:
        services.book_series(
            patient=patient, protocol=clinic["protocols"]["ocrelizumab_iv"], start=at(clinic_day, 8)
        )
    assert err.value.code == "order"
    assert not InfusionSession.objects.filter(patient=patient).exists()


def test_moving_a_dose_past_the_order_expiry_is_refused(clinic, clinic_day, make_patient, covered):
    patient = make_patient()
    covered(patient, "natalizumab", expires_on=clinic_day + dt.timedelta(days=3))
    session = _book(clinic, patient, at(clinic_day, 9))
    with pytest.raises(services.BookingConflict) as err:
        services.reschedule(session=session, start=at(clinic_day + dt.timedelta(days=7), 9))
    assert err.value.code == "order"
    session.refresh_from_db()
    assert session.start == at(clinic_day, 9)


def test_moving_within_the_order_does_not_count_the_dose_twice(
    clinic, clinic_day, make_patient, covered
):
    patient = make_patient()
    covered(patient, "natalizumab", doses=1)
    session = _book(clinic, patient, at(clinic_day, 9))
    moved = services.reschedule(session=session, start=at(clinic_day + dt.timedelta(days=1), 10))
    assert moved.start == at(clinic_day + dt.timedelta(days=1), 10)


def test_the_manager_can_switch_the_rule_off(clinic, clinic_day, make_patient):
    from orders.models import OrdersSettings

    s = OrdersSettings.load()
    s.orders_required = False
    s.authorizations_required = False
    s.save()
    assert _book(clinic, make_patient(), at(clinic_day, 9)).pk
