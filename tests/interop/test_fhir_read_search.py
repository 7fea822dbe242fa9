"""FHIR reads and searches: CapabilityStatement, Patient, Appointment, Schedule; paging links.
Every resource returned parses under the fhir.resources R4B models."""

from __future__ import annotations

import datetime as dt
from urllib.parse import parse_qs, urlparse

import pytest

from scheduling import services
from tests.conftest import at
from tests.interop.conftest import fhir

pytestmark = pytest.mark.django_db

FHIR = {"HTTP_ACCEPT": "application/fhir+json"}


@pytest.fixture
def desk(fhir_as):
    return fhir_as("front_desk")


@pytest.fixture
def booked_days(clinic, clinic_day, make_patient):
    """Two patients, sessions on the clinic day and the day after; one cancelled."""
    a, b = make_patient(mrn="FH-001"), make_patient(mrn="FH-002")
    tysabri = clinic["protocols"]["natalizumab"]
    s1 = services.book_session(
        patient=a,
        protocol=tysabri,
        dose_number=1,
        start=at(clinic_day, 9),
        chair=clinic["chairs"][0],
    )
    s2 = services.book_session(
        patient=b,
        protocol=tysabri,
        dose_number=1,
        start=at(clinic_day, 10),
        chair=clinic["chairs"][1],
    )
    s3 = services.book_session(
        patient=a,
        protocol=tysabri,
        dose_number=2,
        start=at(clinic_day + dt.timedelta(days=28), 9),
        chair=clinic["chairs"][0],
    )
    services.cancel(session=s3, by=None, reason="patient asked")
    return {"patients": (a, b), "sessions": (s1, s2, s3), "day": clinic_day}


def test_metadata_is_a_capability_statement(client):
    body = fhir(client.get("/fhir/metadata", **FHIR))
    assert body["resourceType"] == "CapabilityStatement" and body["fhirVersion"] == "4.0.1"
    types = {r["type"] for r in body["rest"][0]["resource"]}
    assert {"Patient", "Appointment", "Slot", "Schedule", "Observation"} <= types
    assert body["rest"][0]["interaction"][0]["code"] == "transaction"


def test_reads_need_the_api_token(client, make_patient):
    patient = make_patient()
    body = fhir(client.get(f"/fhir/Patient/{patient.pk}", **FHIR), 401)
    assert body["resourceType"] == "OperationOutcome"
    assert body["issue"][0]["code"] == "login"


def test_a_user_without_a_clinic_role_is_refused(fhir_as, make_patient):
    from django.contrib.auth.models import User
    from rest_framework.authtoken.models import Token

    client = fhir_as(None)
    user = User.objects.create_user(username="outsider", password="x-pass-2026")
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=user).key}")
    fhir(client.get("/fhir/Patient", **FHIR), 403)


def test_patient_read_and_search_by_identifier(desk, make_patient):
    patient = make_patient(mrn="FH-100", first_name="Lena", last_name="Ortiz")
    make_patient(mrn="FH-101")
    body = fhir(desk.get(f"/fhir/Patient/{patient.pk}", **FHIR))
    assert body["identifier"][0]["value"] == "FH-100"
    assert body["name"][0] == {"use": "official", "family": "Ortiz", "given": ["Lena"]}
    assert {"system": "phone", "value": patient.mobile, "use": "mobile"} in body["telecom"]

    found = fhir(desk.get("/fhir/Patient", {"identifier": "FH-100"}, **FHIR))
    assert found["type"] == "searchset" and found["total"] == 1
    assert found["entry"][0]["resource"]["id"] == str(patient.pk)
    assert found["entry"][0]["fullUrl"].endswith(f"/fhir/Patient/{patient.pk}")
    system = fhir(
        desk.get("/fhir/Patient", {"identifier": "urn:infusion-center:mrn|FH-100"}, **FHIR)
    )
    assert system["total"] == 1
    other = fhir(desk.get("/fhir/Patient", {"identifier": "urn:other|FH-100"}, **FHIR))
    assert other["total"] == 0 and "entry" not in other
    fhir(desk.get("/fhir/Patient/999999", **FHIR), 404)


def test_appointment_search_by_date_patient_and_status(desk, booked_days):
    s1, s2, s3 = booked_days["sessions"]
    a, b = booked_days["patients"]
    day = booked_days["day"].isoformat()

    on_day = fhir(desk.get("/fhir/Appointment", {"date": day}, **FHIR))
    assert [e["resource"]["id"] for e in on_day["entry"]] == [str(s1.pk), str(s2.pk)]
    first = on_day["entry"][0]["resource"]
    assert first["status"] == "booked" and first["start"].startswith(day)
    assert {"reference": f"Patient/{a.pk}", "display": a.full_name} == first["participant"][0][
        "actor"
    ]
    assert first["serviceType"][0]["coding"][0]["code"] == "natalizumab"

    mine = fhir(desk.get("/fhir/Appointment", {"patient": f"Patient/{a.pk}"}, **FHIR))
    assert {e["resource"]["id"] for e in mine["entry"]} == {str(s1.pk), str(s3.pk)}
    cancelled = fhir(
        desk.get("/fhir/Appointment", {"patient": a.pk, "status": "cancelled"}, **FHIR)
    )
    assert [e["resource"]["id"] for e in cancelled["entry"]] == [str(s3.pk)]
    assert cancelled["entry"][0]["resource"]["status"] == "cancelled"

    later = fhir(
        desk.get(
            "/fhir/Appointment?date=gt"
            + day
            + "&date=lt"
            + (booked_days["day"] + dt.timedelta(days=60)).isoformat(),
            **FHIR,
        )
    )
    assert [e["resource"]["id"] for e in later["entry"]] == [str(s3.pk)]
    # 09:30 on the clinic day in the center's zone, with that day's UTC offset: a fixed -05:00
    # is 10:30 from March to November (EDT), after s2's 10:00 start.
    half_past_nine = at(booked_days["day"], 9, 30).isoformat()
    window = fhir(desk.get(f"/fhir/Appointment?date=ge{half_past_nine}&date=le{day}", **FHIR))
    assert [e["resource"]["id"] for e in window["entry"]] == [str(s2.pk)]

    read = fhir(desk.get(f"/fhir/Appointment/{s2.pk}", **FHIR))
    assert read["id"] == str(s2.pk) and read["minutesDuration"] > 0


@pytest.mark.parametrize(
    "query",
    [
        "date=yesterday",
        "date=ne2026-12-01",
        "date=9999-01-01",
        "patient=Practitioner/3",
        "patient=abc",
        "status=done",
        "_count=-1",
        "_count=100000",
        "_page=0",
        "colour=blue",
    ],
)
def test_bad_search_parameters_are_400_with_an_operation_outcome(desk, query):
    body = fhir(desk.get(f"/fhir/Appointment?{query}", **FHIR), 400)
    assert body["resourceType"] == "OperationOutcome" and body["issue"][0]["severity"] == "error"


def test_paging_links(desk, make_patient):
    for n in range(7):
        make_patient(mrn=f"PG-{n}")
    page1 = fhir(desk.get("/fhir/Patient", {"_count": 3}, **FHIR))
    links = {link["relation"]: link["url"] for link in page1["link"]}
    assert page1["total"] == 7 and len(page1["entry"]) == 3
    assert set(links) == {"self", "first", "next", "last"}
    assert parse_qs(urlparse(links["last"]).query)["_page"] == ["3"]

    seen = [e["resource"]["identifier"][0]["value"] for e in page1["entry"]]
    url = links["next"]
    while url:
        page = fhir(desk.get(url.replace("http://testserver", ""), **FHIR))
        seen += [e["resource"]["identifier"][0]["value"] for e in page["entry"]]
        rels = {link["relation"]: link["url"] for link in page["link"]}
        assert "previous" in rels
        url = rels.get("next")
    assert sorted(seen) == [f"PG-{n}" for n in range(7)]
    count_only = fhir(desk.get("/fhir/Patient", {"_count": 0}, **FHIR))
    assert count_only["total"] == 7 and "entry" not in count_only


def test_schedules_are_one_per_chair(desk, clinic):
    body = fhir(desk.get("/fhir/Schedule", **FHIR))
    assert body["total"] == len(clinic["chairs"])
    names = {e["resource"]["actor"][0]["display"] for e in body["entry"]}
    assert names == {f"Chair {c.name}" for c in clinic["chairs"]}
    one = fhir(desk.get(f"/fhir/Schedule/{clinic['chairs'][0].pk}", **FHIR))
    assert one["active"] is True


def test_plain_json_is_answered_too(desk, make_patient):
    make_patient()
    response = desk.get("/fhir/Patient", HTTP_ACCEPT="application/json")
    assert response.status_code == 200 and response["Content-Type"].startswith("application/json")
