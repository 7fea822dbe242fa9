"""Availability windows over the API: the engine's JSON form in and out, by role."""

import pytest

from patients import availability
from scheduling.models import AuditEvent

pytestmark = [pytest.mark.django_db, pytest.mark.postgres]

BODY = {
    "windows": [
        {"weekdays": [1, 3], "start": "08:00", "end": "11:00"},
        {"weekdays": [0], "kind": "unavailable", "strength": "wish"},
    ],
    "preferred_minute": 540,
    "short_notice_ok": True,
}


def test_front_desk_replaces_windows_and_reads_them_back(desk, make_patient):
    patient = make_patient()
    url = f"/api/patients/{patient.pk}/availability/"
    response = desk.put(url, BODY, format="json")
    assert response.status_code == 200, response.json()
    body = desk.get(url).json()
    assert body["windows"][0] == {
        "weekdays": [1, 3],
        "start": "08:00",
        "end": "11:00",
        "kind": "available",
        "strength": "must",
    }
    assert body["windows"][1]["kind"] == "unavailable" and body["preferred_minute"] == 540
    patient.refresh_from_db()
    assert availability.availability_for(patient).short_notice_ok
    assert AuditEvent.objects.get(action="availability_changed").actor == desk.user
    detail = desk.get(f"/api/patients/{patient.pk}/").json()
    assert detail["preferred_minute"] == 540 and detail["preferred_hour"] == 9


@pytest.mark.parametrize(
    "window, field",
    [
        ({"weekdays": [9]}, "weekdays"),
        ({"weekdays": []}, "weekdays"),
        ({"weekdays": [1], "start": "9am"}, "start"),
        ({"weekdays": [1], "kind": "never"}, "kind"),
    ],
)
def test_bad_windows_are_field_errors(desk, make_patient, window, field):
    patient = make_patient()
    response = desk.put(
        f"/api/patients/{patient.pk}/availability/", {"windows": [window]}, format="json"
    )
    assert response.status_code == 400
    assert field in response.json()["windows"][0]


def test_a_window_ending_before_it_starts_is_a_400(desk, make_patient):
    patient = make_patient()
    response = desk.put(
        f"/api/patients/{patient.pk}/availability/",
        {"windows": [{"weekdays": [1], "start": "12:00", "end": "08:00"}]},
        format="json",
    )
    assert response.status_code == 400 and "windows" in response.json()


def test_nurses_read_but_do_not_write(client_as, make_patient):
    nurse = client_as("nurse")
    patient = make_patient()
    url = f"/api/patients/{patient.pk}/availability/"
    assert nurse.get(url).status_code == 200
    assert nurse.put(url, BODY, format="json").status_code == 403


def test_registering_with_a_preferred_minute(desk, clinic):
    response = desk.post(
        "/api/patients/",
        {
            "mrn": "A-77",
            "first_name": "Ana",
            "last_name": "Lind",
            "date_of_birth": "1980-01-01",
            "preferred_minute": 615,
        },
        format="json",
    )
    assert response.status_code == 201, response.json()
    assert response.json()["preferred_minute"] == 615 and response.json()["preferred_hour"] == 10
