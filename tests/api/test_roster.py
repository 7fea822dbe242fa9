"""GET /api/roster/ and GET /api/patients/{id}/checklist/: the nurse's day with phases,
premedication, lab readiness and REMS."""

import datetime as dt

import pytest
import time_machine

from patients.models import LabResult, PatientProtocol
from scheduling.models import LabTest
from tests.conftest import at

pytestmark = pytest.mark.django_db


@pytest.fixture
def day_with_two(clinic, clinic_day, make_patient, book):
    ocrevus_patient, tysabri_patient = make_patient(), make_patient()
    LabResult.objects.create(
        patient=ocrevus_patient,
        lab_test=LabTest.objects.get(code="hbv_screening"),
        collected_on=clinic_day - dt.timedelta(days=20),
        resulted_on=clinic_day - dt.timedelta(days=19),
    )
    o = book(
        ocrevus_patient, clinic_day, 8, protocol="ocrelizumab_iv", nurse=clinic["nurses"][0].pk
    ).json()
    t = book(tysabri_patient, clinic_day, 10, protocol="natalizumab").json()
    return o, t


def test_the_floor_roster_shows_phases_premeds_labs_and_rems(day_with_two, clinic_day, nurse_api):
    ocrevus, tysabri = day_with_two

    response = nurse_api.get(f"/api/roster/?date={clinic_day}")

    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["date"] == str(clinic_day) and body["count"] == 2
    first, second = body["results"]
    assert (first["id"], second["id"]) == (ocrevus["id"], tysabri["id"])  # start order
    assert dt.datetime.fromisoformat(first["infusion_start"]) == at(clinic_day, 8, 30)
    assert "methylprednisolone" in first["premed_items"].lower()
    # Ocrevus first dose: HBV is in, immunoglobulins and LFTs are missing -> red, itemised.
    labs = {i["test_code"]: i["status"] for i in first["lab"]["items"]}
    assert labs["hbv_screening"] == "green"
    assert labs["immunoglobulins"] == "red"
    assert first["lab"]["status"] == "red"
    assert first["rems"] is None  # no REMS program
    assert second["rems"] == "not_authorized"


def test_rems_status_follows_the_authorization_and_the_check(day_with_two, clinic_day, nurse_api):
    _, tysabri = day_with_two
    PatientProtocol.objects.filter(patient_id=tysabri["patient"]).update(
        rems_authorized_until=clinic_day + dt.timedelta(days=30)
    )

    authorized = nurse_api.get(f"/api/roster/?date={clinic_day}").json()["results"][1]["rems"]
    with time_machine.travel(at(clinic_day, 8), tick=False):
        assert nurse_api.post(f"/api/sessions/{tysabri['id']}/rems-check/").status_code == 200
    checked = nurse_api.get(f"/api/roster/?date={clinic_day}").json()["results"][1]["rems"]

    assert (authorized, checked) == ("authorized", "checked")


def test_a_nurse_roster_has_only_that_nurses_patients(day_with_two, clinic, clinic_day, nurse_api):
    ocrevus, _ = day_with_two
    response = nurse_api.get(f"/api/roster/?date={clinic_day}&nurse={clinic['nurses'][0].pk}")

    assert [e["id"] for e in response.json()["results"]] == [ocrevus["id"]]


def test_another_day_is_empty(day_with_two, clinic_day, nurse_api):
    body = nurse_api.get(f"/api/roster/?date={clinic_day + dt.timedelta(days=1)}").json()
    assert body["count"] == 0 and body["results"] == []


def test_the_checklist_of_a_session(day_with_two, clinic_day, desk):
    ocrevus, _ = day_with_two

    response = desk.get(f"/api/patients/{ocrevus['patient']}/checklist/?session={ocrevus['id']}")

    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["session"] == ocrevus["id"] and body["status"] == "red"
    assert set(body["missing"]) == {"immunoglobulins", "lfts"}
    red = next(i for i in body["items"] if i["test_code"] == "lfts")
    assert red["needed_by"] and dt.date.fromisoformat(red["needed_by"]) < clinic_day


def test_the_checklist_defaults_to_the_next_session(day_with_two, desk):
    ocrevus, _ = day_with_two
    assert (
        desk.get(f"/api/patients/{ocrevus['patient']}/checklist/").json()["session"]
        == ocrevus["id"]
    )


def test_the_checklist_of_another_patients_session_is_a_400(day_with_two, desk):
    ocrevus, tysabri = day_with_two

    response = desk.get(f"/api/patients/{ocrevus['patient']}/checklist/?session={tysabri['id']}")

    assert response.status_code == 400
    assert "session" in response.json()


def test_the_checklist_of_an_unknown_patient_is_a_404(clinic, desk):
    assert desk.get("/api/patients/999999/checklist/").status_code == 404
