"""Patients over the API: create with normalized mobile, duplicate MRN, list/search, detail."""

import pytest

from patients.models import Patient

pytestmark = pytest.mark.django_db

NEW = {
    "mrn": "A-1001",
    "first_name": "Maya",
    "last_name": "Okafor",
    "date_of_birth": "1984-05-02",
    "email": "maya@example.org",
    "mobile": "(617) 555-0143",
    "preferred_channel": "sms",
}


def test_front_desk_registers_a_patient_with_an_e164_mobile(clinic, desk):
    response = desk.post("/api/patients/", NEW, format="json")

    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["mobile"] == "+16175550143"
    assert body["preferred_channel"] == "sms"
    assert Patient.objects.get(mrn="A-1001").mobile == "+16175550143"


def test_a_duplicate_mrn_is_a_field_error_not_a_500(clinic, desk):
    assert desk.post("/api/patients/", NEW, format="json").status_code == 201

    response = desk.post("/api/patients/", {**NEW, "first_name": "Other"}, format="json")

    assert response.status_code == 400
    assert "mrn" in response.json()
    assert Patient.objects.filter(mrn="A-1001").count() == 1


@pytest.mark.parametrize(
    "field,value",
    [
        ("mobile", "12"),
        ("mobile", "not a phone"),
        ("email", "nope"),
        ("date_of_birth", "1984-13-40"),
        ("date_of_birth", "2999-01-01"),
        ("preferred_channel", "fax"),
        ("time_zone", "Mars/Olympus"),
        ("preferred_hour", 24),
    ],
)
def test_invalid_fields_are_named(field, value, clinic, desk):
    response = desk.post("/api/patients/", {**NEW, field: value}, format="json")

    assert response.status_code == 400
    assert field in response.json()
    assert not Patient.objects.exists()


def test_missing_required_fields(clinic, desk):
    response = desk.post("/api/patients/", {}, format="json")

    assert response.status_code == 400
    assert {"mrn", "first_name", "last_name", "date_of_birth"} <= set(response.json())


def test_list_search_and_detail(clinic, make_patient, desk, book, clinic_day):
    maya = make_patient(first_name="Maya", last_name="Okafor", mrn="M-1")
    make_patient(first_name="Leo", last_name="Brandt", mrn="M-2")
    book(maya, clinic_day, 9, protocol="natalizumab")

    everyone = desk.get("/api/patients/").json()
    found = desk.get("/api/patients/?q=okaf").json()
    by_mrn = desk.get("/api/patients/?q=M-2").json()
    detail = desk.get(f"/api/patients/{maya.pk}/").json()

    assert everyone["count"] == 2
    assert [p["id"] for p in found["results"]] == [maya.pk]
    assert [p["mrn"] for p in by_mrn["results"]] == ["M-2"]
    assert detail["mrn"] == "M-1" and detail["protocols"] == ["natalizumab"]
    assert desk.get("/api/patients/999999/").status_code == 404
