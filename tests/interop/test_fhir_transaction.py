"""POST /fhir: a transaction Bundle of Patient and Observation (LOINC) resources, applied
through the same path as the HL7 feed; a bad Bundle is an OperationOutcome with a 400."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.utils import timezone

from interop.models import InboundMessage
from patients.models import LabResult, Patient
from scheduling import selectors, services
from scheduling.models import AuditEvent, Reminder
from tests.conftest import TZ, at
from tests.interop.conftest import fhir

pytestmark = pytest.mark.django_db

CT = "application/fhir+json"


def post(client, bundle):
    body = bundle if isinstance(bundle, (str, bytes)) else json.dumps(bundle)
    return client.post("/fhir", body, content_type=CT, HTTP_ACCEPT=CT)


def today_at(hour: int) -> str:
    day = timezone.now().astimezone(TZ).date()
    return dt.datetime.combine(day, dt.time(hour), tzinfo=TZ).isoformat()


def patient_entry(mrn="FX-1", **extra):
    resource = {
        "resourceType": "Patient",
        "identifier": [{"system": "urn:infusion-center:mrn", "value": mrn}],
        "name": [{"use": "official", "family": "Okafor", "given": ["Chidi"]}],
        "birthDate": "1984-06-02",
        "telecom": [
            {"system": "phone", "value": "(617) 555-0142", "use": "mobile"},
            {"system": "email", "value": "chidi@example.org"},
        ],
        **extra,
    }
    return {
        "fullUrl": "urn:uuid:7f1d8a4e-0000-4000-8000-000000000001",
        "resource": resource,
        "request": {"method": "POST", "url": "Patient"},
    }


def observation_entry(
    code, *, subject="urn:uuid:7f1d8a4e-0000-4000-8000-000000000001", status="final", **extra
):
    return {
        "resource": {
            "resourceType": "Observation",
            "status": status,
            "code": {"coding": [{"system": "http://loinc.org", "code": code}]},
            "subject": {"reference": subject},
            "effectiveDateTime": today_at(7),
            "valueString": "Nonreactive",
            "interpretation": [{"coding": [{"code": "N"}]}],
            **extra,
        },
        "request": {"method": "POST", "url": "Observation"},
    }


@pytest.fixture
def manager(fhir_as, loinc_map):
    return fhir_as("manager")


def test_a_transaction_registers_a_patient_and_records_results(manager):
    bundle = {
        "resourceType": "Bundle",
        "type": "transaction",
        "identifier": {"system": "urn:lab", "value": "BATCH-1"},
        "entry": [patient_entry(), observation_entry("5196-1"), observation_entry("16933-4")],
    }
    body = fhir(post(manager, bundle))
    assert body["type"] == "transaction-response" and len(body["entry"]) == 3
    patient = Patient.objects.get(mrn="FX-1")
    assert body["entry"][0]["response"] == {
        "status": "201 Created",
        "location": f"Patient/{patient.pk}",
    }
    assert [e["response"]["status"] for e in body["entry"][1:]] == ["201 Created"] * 2
    assert patient.mobile == "+16175550142" and patient.email == "chidi@example.org"
    result = LabResult.objects.get(patient=patient)  # both codes are hepatitis B screening
    assert result.lab_test.code == "hbv_screening" and result.status == "resulted"
    assert result.flag == "normal" and result.source == f"FHIR {manager.user.username}"
    assert AuditEvent.objects.filter(action="patient_registered").count() == 1
    assert AuditEvent.objects.filter(action="lab_result_recorded").count() == 1
    row = InboundMessage.objects.get(channel="fhir")
    assert row.outcome == "applied" and row.control_id == "BATCH-1"

    # The same Bundle again: answered, not applied twice.
    again = fhir(post(manager, bundle))
    assert again["entry"][0]["response"]["status"] == "200 OK"
    assert LabResult.objects.count() == 1
    assert AuditEvent.objects.filter(action="lab_result_recorded").count() == 1
    row.refresh_from_db()
    assert row.duplicates == 1


def test_an_observation_turns_the_lab_green_and_skips_the_reminder(
    manager, clinic, clinic_day, make_patient
):
    patient = make_patient(mrn="FX-2")
    session = services.book_session(
        patient=patient,
        protocol=clinic["protocols"]["natalizumab"],
        dose_number=1,
        start=at(clinic_day, 9),
        chair=clinic["chairs"][0],
    )
    checklist = selectors.lab_checklist(session=session)
    assert checklist.status == "red"
    missing = {i.test_code for i in checklist.missing}
    assert missing == {"anti_jcv", "brain_mri", "cbc"}, missing
    reminder = Reminder.objects.get(session=session, kind="lab_checklist")
    subject = f"Patient/{patient.pk}"
    jcv = observation_entry("70173-0", subject=subject, valueCodeableConcept={"text": "Negative"})
    jcv["resource"].pop("valueString")
    cbc = observation_entry(
        "58410-2", subject=subject, valueQuantity={"value": 6.1, "unit": "10*3/uL"}
    )
    cbc["resource"].pop("valueString")
    first = {"resourceType": "Bundle", "type": "transaction", "entry": [jcv, cbc]}
    fhir(post(manager, first))
    assert {i.test_code for i in selectors.lab_checklist(session=session).missing} == {"brain_mri"}
    reminder.refresh_from_db()
    assert reminder.status == "pending"  # the MRI is still to come: the checklist still asks

    mri = {
        "resourceType": "Bundle",
        "type": "transaction",
        "entry": [observation_entry("24590-2", subject=subject)],
    }
    fhir(post(manager, mri))
    assert selectors.lab_checklist(session=session).status == "green"
    reminder.refresh_from_db()
    assert reminder.status == "skipped"
    values = dict(LabResult.objects.filter(patient=patient).values_list("lab_test__code", "value"))
    assert values["anti_jcv"] == "Negative" and values["cbc"] == "6.1 10*3/uL"


def test_subject_by_identifier_and_preliminary_results(manager, make_patient):
    patient = make_patient(mrn="FX-3")
    bundle = {
        "resourceType": "Bundle",
        "type": "transaction",
        "entry": [
            observation_entry(
                "2160-0",
                subject="Patient?identifier=urn:infusion-center:mrn|FX-3",
                status="preliminary",
            )
        ],
    }
    fhir(post(manager, bundle))
    result = LabResult.objects.get(patient=patient)
    assert result.lab_test.code == "serum_creatinine" and result.status == "ordered"


@pytest.mark.parametrize(
    "bundle,word",
    [
        ("{not json", "JSON"),
        ({"resourceType": "Patient"}, "Bundle"),
        ({"resourceType": "Bundle", "type": "searchset", "entry": []}, "transaction"),
        ({"resourceType": "Bundle", "type": "transaction"}, "no entries"),
        ({"resourceType": "Bundle", "type": "transaction", "entry": "lots"}, "valid FHIR"),
        (
            {
                "resourceType": "Bundle",
                "type": "transaction",
                "entry": [{"resource": {"resourceType": "Banana"}}],
            },
            "",
        ),
        (
            {
                "resourceType": "Bundle",
                "type": "transaction",
                "entry": [{"resource": {"resourceType": "Observation", "status": "final"}}],
            },
            "valid FHIR",
        ),
        (
            {
                "resourceType": "Bundle",
                "type": "transaction",
                "entry": [{"resource": {"resourceType": "Patient", "birthDate": "yesterday"}}],
            },
            "valid FHIR",
        ),
        (
            {
                "resourceType": "Bundle",
                "type": "transaction",
                "entry": [
                    {
                        "resource": {
                            "resourceType": "Appointment",
                            "status": "booked",
                            "participant": [{"status": "accepted"}],
                        }
                    }
                ],
            },
            "not taken",
        ),
        (
            {
                "resourceType": "Bundle",
                "type": "transaction",
                "entry": [{"resource": {"resourceType": "Patient", "name": [{"family": "X"}]}}],
            },
            "MRN",
        ),
        (
            {
                "resourceType": "Bundle",
                "type": "transaction",
                "entry": [
                    {
                        "resource": {
                            "resourceType": "Patient",
                            "identifier": [{"value": "N1"}],
                            "name": [{"family": "X", "given": ["Y"]}],
                        }
                    }
                ],
            },
            "date of birth",
        ),
        ([1, 2, 3], "Bundle"),
    ],
)
def test_a_bad_bundle_is_an_operation_outcome_with_400(manager, bundle, word):
    body = fhir(post(manager, bundle), 400)
    assert body["resourceType"] == "OperationOutcome"
    assert word in body["issue"][0]["diagnostics"], body
    assert LabResult.objects.count() == 0 and not Patient.objects.filter(mrn="N1").exists()


def test_an_unknown_patient_or_unmapped_code_applies_nothing(manager, make_patient):
    make_patient(mrn="FX-4")
    unknown = {
        "resourceType": "Bundle",
        "type": "transaction",
        "entry": [observation_entry("5196-1", subject="Patient?identifier=NOBODY")],
    }
    body = fhir(post(manager, unknown), 422)
    assert body["issue"][0]["code"] == "not-found"
    unmapped = {
        "resourceType": "Bundle",
        "type": "transaction",
        "entry": [
            patient_entry("FX-5"),
            observation_entry("5196-1"),
            observation_entry("99999-9"),
        ],
    }
    body = fhir(post(manager, unmapped), 422)
    assert "Unmapped test: 99999-9" in body["issue"][0]["diagnostics"]
    # All or nothing: neither the patient nor the first result were kept.
    assert not Patient.objects.filter(mrn="FX-5").exists()
    assert LabResult.objects.count() == 0
    assert InboundMessage.objects.filter(channel="fhir", outcome="error").count() == 2


def test_roles_decide_what_a_transaction_may_write(fhir_as, loinc_map, make_patient):
    make_patient(mrn="FX-6")
    nurse, desk = fhir_as("nurse"), fhir_as("front_desk")
    results = {
        "resourceType": "Bundle",
        "type": "transaction",
        "entry": [observation_entry("5196-1", subject="Patient?identifier=FX-6")],
    }
    registration = {
        "resourceType": "Bundle",
        "type": "transaction",
        "entry": [patient_entry("FX-7")],
    }
    fhir(post(desk, results), 403)
    fhir(post(nurse, registration), 403)
    fhir(post(nurse, results))
    fhir(post(desk, registration))
    assert Patient.objects.filter(mrn="FX-7").exists() and LabResult.objects.count() == 1


def test_unauthenticated_posts_are_401(client):
    response = client.post("/fhir", "{}", content_type=CT)
    body = fhir(response, 401)
    assert body["issue"][0]["code"] == "login"


def test_the_trailing_slash_form_works_too(manager):
    bundle = {"resourceType": "Bundle", "type": "transaction", "entry": [patient_entry("FX-8")]}
    fhir(
        manager.post("/fhir/", json.dumps(bundle), content_type="application/json", HTTP_ACCEPT=CT)
    )
    assert Patient.objects.filter(mrn="FX-8").exists()
