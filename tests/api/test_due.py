"""GET /api/due/: patients due for their next dose and not yet booked."""

import datetime as dt

import pytest
from django.utils import timezone

from scheduling import services
from tests.conftest import TZ

pytestmark = pytest.mark.django_db


def _given(patient, protocol, chair, days_ago):
    day = timezone.now().astimezone(TZ).date() - dt.timedelta(days=days_ago)
    start = dt.datetime.combine(day, dt.time(9), tzinfo=TZ)
    return services.record_past_dose(
        patient=patient, protocol=protocol, dose_number=1, start=start, chair=chair
    )


def test_a_patient_due_soon_is_listed_until_booked(clinic, make_patient, desk):
    natalizumab = clinic["protocols"]["natalizumab"]
    patient = make_patient()
    _given(patient, natalizumab, clinic["chairs"][0], days_ago=20)  # dose 2 due in 8 days

    body = desk.get("/api/due/").json()

    assert body["count"] == 1
    item = body["results"][0]
    assert (item["patient"], item["protocol"], item["dose_number"]) == (
        patient.pk,
        "natalizumab",
        2,
    )
    due = dt.date.fromisoformat(item["due_date"])
    assert due == timezone.now().astimezone(TZ).date() + dt.timedelta(days=8)
    assert (
        dt.date.fromisoformat(item["window_start"])
        <= due
        <= dt.date.fromisoformat(item["window_end"])
    )
    assert item["overdue_days"] == 0


def test_overdue_first(clinic, make_patient, desk):
    natalizumab = clinic["protocols"]["natalizumab"]
    soon, late = make_patient(), make_patient()
    _given(soon, natalizumab, clinic["chairs"][0], days_ago=20)
    _given(late, natalizumab, clinic["chairs"][1], days_ago=50)  # due 22 days ago, window +7

    results = desk.get("/api/due/").json()["results"]

    assert [r["patient"] for r in results] == [late.pk, soon.pk]
    assert results[0]["overdue_days"] > 0


def test_a_booked_patient_drops_off(clinic, make_patient, desk, book):
    natalizumab = clinic["protocols"]["natalizumab"]
    patient = make_patient()
    _given(patient, natalizumab, clinic["chairs"][0], days_ago=20)
    item = desk.get("/api/due/").json()["results"][0]
    slot = desk.get(
        "/api/availability/",
        {
            "patient": patient.pk,
            "protocol": "natalizumab",
            "date_from": item["window_start"],
            "date_to": item["window_end"],
            "limit": 1,
        },
    ).json()[0]
    booked = desk.post(
        "/api/sessions/",
        {
            "patient": patient.pk,
            "protocol": "natalizumab",
            "dose_number": 2,
            "start": slot["start"],
        },
        format="json",
    )
    assert booked.status_code == 201, booked.json()

    assert desk.get("/api/due/").json()["count"] == 0


def test_horizon_and_today_are_validated(clinic, desk):
    assert desk.get("/api/due/?horizon_days=-1").status_code == 400
    assert desk.get("/api/due/?today=yesterday").status_code == 400
    assert desk.get("/api/due/?horizon_days=7&today=2030-01-07").status_code == 200
