"""POST /api/series/: a protocol's series in one step, all doses or none."""

import datetime as dt

import pytest

from scheduling.models import InfusionSession, Series
from tests.conftest import at

pytestmark = pytest.mark.django_db


def test_ocrevus_day_0_and_day_14_are_booked_together(clinic, clinic_day, make_patient, desk):
    patient = make_patient()

    response = desk.post(
        "/api/series/",
        {
            "patient": patient.pk,
            "protocol": "ocrelizumab_iv",
            "start": at(clinic_day, 8).isoformat(),
        },
        format="json",
    )

    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["patient"] == patient.pk and body["protocol"] == "ocrelizumab_iv"
    doses = body["sessions"]
    assert [d["dose_number"] for d in doses] == [1, 2]
    starts = [dt.datetime.fromisoformat(d["start"]) for d in doses]
    assert starts[0] == at(clinic_day, 8)
    assert starts[1] == at(clinic_day + dt.timedelta(days=14), 8)  # same local clock time
    assert all(d["series"] == body["id"] for d in doses)
    assert InfusionSession.objects.filter(series_id=body["id"]).count() == 2


def test_when_the_second_dose_clashes_nothing_is_stored(
    clinic, clinic_day, make_patient, desk, book
):
    patient = make_patient()
    day14 = clinic_day + dt.timedelta(days=14)
    # The patient is already in a chair on day 14 at that time (another drug).
    assert book(patient, day14, 8, protocol="ocrelizumab_hyaluronidase_sc").status_code == 201

    response = desk.post(
        "/api/series/",
        {
            "patient": patient.pk,
            "protocol": "ocrelizumab_iv",
            "start": at(clinic_day, 8).isoformat(),
        },
        format="json",
    )

    assert response.status_code == 409, response.json()
    assert response.json()["code"] == "conflict"
    assert any(c["rule"] == "patient" for c in response.json()["conflicts"])
    # All or nothing: no day-0 session and no series row were kept.
    assert not InfusionSession.objects.filter(protocol__code="ocrelizumab_iv").exists()
    assert not Series.objects.exists()


def test_a_wrong_length_is_a_field_error(clinic, clinic_day, make_patient, desk):
    response = desk.post(
        "/api/series/",
        {
            "patient": make_patient().pk,
            "protocol": "ocrelizumab_iv",
            "start": at(clinic_day, 8).isoformat(),
            "length": 4,
        },
        format="json",
    )

    assert response.status_code == 400
    assert "length" in response.json()
    assert not InfusionSession.objects.exists()


def test_a_naive_series_start_is_refused(clinic, clinic_day, make_patient, desk):
    response = desk.post(
        "/api/series/",
        {
            "patient": make_patient().pk,
            "protocol": "ocrelizumab_iv",
            "start": f"{clinic_day}T08:00:00",
        },
        format="json",
    )

    assert response.status_code == 400
    assert "start" in response.json()


def test_a_series_outside_hours_is_a_field_error(clinic, clinic_day, make_patient, desk):
    response = desk.post(
        "/api/series/",
        {
            "patient": make_patient().pk,
            "protocol": "ocrelizumab_iv",
            "start": at(clinic_day, 17).isoformat(),
        },
        format="json",
    )

    assert response.status_code == 400, response.json()
    assert "start" in response.json()
    assert not Series.objects.exists()
