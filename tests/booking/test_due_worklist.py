"""Who is due for the next dose and not booked, overdue first (DESIGN §8 /api/due/)."""

import datetime as dt

import pytest
from django.utils import timezone

from scheduling import selectors, services
from tests.conftest import TZ, at

pytestmark = pytest.mark.django_db


def _past(clinic, patient, code, dose, days_ago, hour=9):
    start = at(timezone.now().astimezone(TZ).date() - dt.timedelta(days=days_ago), hour)
    return services.record_past_dose(
        patient=patient,
        protocol=clinic["protocols"][code],
        dose_number=dose,
        start=start,
        chair=clinic["chairs"][0],
    )


def _today():
    return timezone.now().astimezone(TZ).date()


def test_ocrevus_maintenance_is_due_24_weeks_after_infusion_1(clinic, make_patient):
    patient = make_patient()
    _past(clinic, patient, "ocrelizumab_iv", 1, 160)
    _past(clinic, patient, "ocrelizumab_iv", 2, 146)
    due = selectors.next_due_for(patient=patient, protocol=clinic["protocols"]["ocrelizumab_iv"])
    assert due.dose_number == 3
    assert due.due_date == _today() - dt.timedelta(days=160) + dt.timedelta(days=168)
    item = next(i for i in selectors.due_worklist() if i.patient == patient)
    assert item.dose_number == 3


def test_late_dose_resets_the_next_due_date(clinic, make_patient):
    patient = make_patient()
    _past(clinic, patient, "ocrelizumab_iv", 1, 400)
    _past(clinic, patient, "ocrelizumab_iv", 2, 386)
    _past(clinic, patient, "ocrelizumab_iv", 3, 150)  # given ~2 months late
    due = selectors.next_due_for(patient=patient, protocol=clinic["protocols"]["ocrelizumab_iv"])
    assert due.dose_number == 4
    assert due.due_date == _today() - dt.timedelta(days=150) + dt.timedelta(days=168)


def test_tysabri_every_four_weeks_and_overdue_first(clinic, make_patient):
    on_time = make_patient(last_name="Ontime")
    overdue = make_patient(last_name="Overdue")
    _past(clinic, on_time, "natalizumab", 1, 20)
    _past(clinic, overdue, "natalizumab", 1, 60)
    items = [i for i in selectors.due_worklist() if i.patient in (on_time, overdue)]
    assert [i.patient for i in items] == [overdue, on_time]
    assert items[0].overdue_days > 0
    assert items[1].due_date == _today() + dt.timedelta(days=8)


def test_booked_patients_are_not_on_the_list(clinic, clinic_day, make_patient):
    patient = make_patient()
    _past(clinic, patient, "natalizumab", 1, 25)
    assert any(i.patient == patient for i in selectors.due_worklist())
    services.book_session(
        patient=patient,
        protocol=clinic["protocols"]["natalizumab"],
        dose_number=2,
        start=at(clinic_day, 9),
        override_reason="test",
    )
    assert not any(i.patient == patient for i in selectors.due_worklist())


def test_mitoxantrone_is_never_due_past_the_cap(clinic, make_patient):
    patient = make_patient()
    for dose in range(1, 12):
        _past(clinic, patient, "mitoxantrone", dose, 100 * (12 - dose) + 1, hour=8 + dose % 5)
    assert (
        selectors.next_due_for(patient=patient, protocol=clinic["protocols"]["mitoxantrone"])
        is None
    )
    assert not any(i.patient == patient for i in selectors.due_worklist(horizon_days=3650))


def test_relapse_steroid_courses_are_on_demand(clinic, clinic_day, make_patient):
    """A 3-day course leaves no 'dose 4 due tomorrow'; the next relapse books a new course."""
    patient = make_patient()
    steroid = clinic["protocols"]["methylprednisolone_relapse"]
    first = services.book_series(
        patient=patient, protocol=steroid, start=at(clinic_day, 8), length=3
    )
    assert [s.dose_number for s in first.sessions.order_by("dose_number")] == [1, 2, 3]
    assert selectors.next_due_for(patient=patient, protocol=steroid) is None
    assert not any(i.patient == patient for i in selectors.due_worklist(horizon_days=365))
    again = services.book_series(
        patient=patient, protocol=steroid, start=at(clinic_day + dt.timedelta(days=7), 8), length=5
    )
    assert [s.dose_number for s in again.sessions.order_by("dose_number")] == [1, 2, 3, 4, 5]
