"""POST /api/sessions/: book one dose; 201, 409 naming the clash, 400 with field errors."""

import datetime as dt

import pytest

from scheduling.models import AuditEvent, InfusionSession, Reminder
from tests.conftest import at

pytestmark = pytest.mark.django_db

PHASES = (
    "start",
    "premed_start",
    "infusion_start",
    "infusion_end",
    "observation_end",
    "chair_release_at",
)


def test_front_desk_books_a_dose_and_gets_the_session_back(
    clinic, clinic_day, make_patient, book, desk
):
    patient = make_patient()
    chair = clinic["chairs"][0]

    response = book(patient, clinic_day, 9, protocol="ocrelizumab_iv", chair=chair.pk)

    assert response.status_code == 201, response.json()
    body = response.json()
    session = InfusionSession.objects.get()
    assert body["id"] == session.pk
    assert body["patient"] == patient.pk
    assert body["protocol"] == "ocrelizumab_iv"
    assert body["dose_number"] == 1
    assert body["status"] == "booked"
    assert body["chair"] == chair.pk and body["chair_name"] == chair.name
    assert body["nurse"] is not None
    # Every phase time is ISO 8601 with an offset, and they follow the catalogue's timings.
    times = {k: dt.datetime.fromisoformat(body[k]) for k in PHASES}
    assert all(t.utcoffset() is not None for t in times.values())
    assert times["start"] == at(clinic_day, 9)
    assert times["infusion_start"] - times["premed_start"] == dt.timedelta(minutes=30)
    assert times["infusion_end"] - times["infusion_start"] == dt.timedelta(minutes=150)
    assert times["chair_release_at"] - times["observation_end"] == dt.timedelta(minutes=15)
    # The service wrote the audit row and the reminders, not the view.
    assert AuditEvent.objects.filter(session=session, action="booked", actor=desk.user).exists()
    assert Reminder.objects.filter(session=session).exists()


def test_engine_picks_chair_and_nurse_when_absent(clinic, clinic_day, make_patient, book):
    response = book(make_patient(), clinic_day, 10, protocol="natalizumab")

    assert response.status_code == 201, response.json()
    # Natalizumab needs the REMS-trained nurse: the engine must choose Nurse 2.
    assert response.json()["nurse"] == clinic["nurses"][1].pk


def test_a_taken_chair_is_a_409_naming_the_chair(clinic, clinic_day, make_patient, book):
    chair = clinic["chairs"][2]
    assert (
        book(make_patient(), clinic_day, 9, protocol="ocrelizumab_iv", chair=chair.pk).status_code
        == 201
    )

    response = book(make_patient(), clinic_day, 10, protocol="ocrelizumab_iv", chair=chair.pk)

    assert response.status_code == 409
    body = response.json()
    assert body["code"] == "conflict"
    assert body["detail"]
    assert any(
        c["rule"] == "chair" and c["resource"] == f"chair:{chair.pk}" for c in body["conflicts"]
    )
    assert InfusionSession.objects.count() == 1


def test_a_patient_already_in_a_chair_is_a_409_naming_the_patient(
    clinic, clinic_day, make_patient, book
):
    patient = make_patient()
    assert book(patient, clinic_day, 9, protocol="ocrelizumab_iv").status_code == 201

    # Another protocol for the same patient, overlapping in time, on another chair.
    response = book(
        patient,
        clinic_day,
        10,
        protocol="ocrelizumab_hyaluronidase_sc",
        chair=clinic["chairs"][5].pk,
    )

    assert response.status_code == 409, response.json()
    assert any(
        c["rule"] == "patient" and c["resource"] == f"patient:{patient.pk}"
        for c in response.json()["conflicts"]
    )


def test_unknown_protocol_is_a_field_error(clinic, clinic_day, make_patient, book):
    response = book(make_patient(), clinic_day, 9, protocol="aspirin_iv")

    assert response.status_code == 400
    assert "protocol" in response.json()


def test_unknown_patient_is_a_field_error(clinic, clinic_day, desk):
    response = desk.post(
        "/api/sessions/",
        {
            "patient": 999999,
            "protocol": "natalizumab",
            "dose_number": 1,
            "start": at(clinic_day, 9).isoformat(),
        },
        format="json",
    )

    assert response.status_code == 400
    assert "patient" in response.json()


def test_a_dose_that_is_not_next_is_a_field_error(clinic, clinic_day, make_patient, book):
    response = book(make_patient(), clinic_day, 9, protocol="ocrelizumab_iv", dose_number=3)

    assert response.status_code == 400
    assert "dose_number" in response.json()


def test_a_dose_beyond_the_lifetime_cap_is_a_field_error(clinic, clinic_day, make_patient, book):
    response = book(make_patient(), clinic_day, 9, protocol="mitoxantrone", dose_number=40)

    assert response.status_code == 400
    assert "dose_number" in response.json()


def test_a_naive_start_is_refused(clinic, clinic_day, make_patient, desk):
    patient = make_patient()
    naive = dt.datetime.combine(clinic_day, dt.time(9)).isoformat()

    response = desk.post(
        "/api/sessions/",
        {"patient": patient.pk, "protocol": "natalizumab", "dose_number": 1, "start": naive},
        format="json",
    )

    assert response.status_code == 400
    assert "offset" in response.json()["start"][0]
    assert not InfusionSession.objects.exists()


def test_a_start_outside_opening_hours_is_a_field_error(clinic, clinic_day, make_patient, book):
    response = book(
        make_patient(), clinic_day, 17, 30, protocol="ocrelizumab_iv"
    )  # ends after 19:00

    assert response.status_code == 400, response.json()
    assert "start" in response.json()


def test_a_saturday_is_outside_hours(clinic, clinic_day, make_patient, book):
    response = book(make_patient(), clinic_day + dt.timedelta(days=5), 9, protocol="natalizumab")

    assert response.status_code == 400
    assert "start" in response.json()


def test_a_start_in_the_past_is_a_field_error(clinic, make_patient, book):
    response = book(make_patient(), dt.date(2020, 1, 6), 9, protocol="natalizumab")

    assert response.status_code == 400
    assert "past" in response.json()["start"][0]


def test_spacing_too_soon_after_the_previous_dose_is_a_field_error(
    clinic, clinic_day, make_patient, book
):
    patient = make_patient()
    assert book(patient, clinic_day, 9, protocol="natalizumab").status_code == 201

    # Dose 2 is due 28 days later; three days later is outside the window.
    response = book(
        patient, clinic_day + dt.timedelta(days=3), 9, protocol="natalizumab", dose_number=2
    )

    assert response.status_code == 400, response.json()
    body = response.json()
    assert set(body) & {"start", "override_reason"}


def test_an_override_reason_lets_an_out_of_window_dose_through(
    clinic, clinic_day, make_patient, book
):
    patient = make_patient()
    assert book(patient, clinic_day, 9, protocol="natalizumab").status_code == 201
    late = clinic_day + dt.timedelta(days=28 + 14)  # two weeks past due, a Monday

    without = book(patient, late, 9, protocol="natalizumab", dose_number=2)
    with_reason = book(
        patient,
        late,
        9,
        protocol="natalizumab",
        dose_number=2,
        override_reason="Patient travelling; neurologist agreed",
    )

    assert without.status_code == 400 and "override_reason" in without.json()
    assert with_reason.status_code == 201, with_reason.json()
    assert with_reason.json()["override_reason"] == "Patient travelling; neurologist agreed"


def test_a_malformed_json_body_is_a_400_not_a_500(clinic, desk):
    response = desk.generic("POST", "/api/sessions/", "{not json", content_type="application/json")

    assert response.status_code == 400
    assert "non_field_errors" in response.json()


def test_a_bed_protocol_refuses_a_recliner(clinic, clinic_day, make_patient, book, catalogue):
    from scheduling.models import Protocol

    Protocol.objects.filter(code="ocrelizumab_iv").update(required_chair_kind="bed")
    response = book(
        make_patient(), clinic_day, 9, protocol="ocrelizumab_iv", chair=clinic["chairs"][0].pk
    )

    assert response.status_code == 400
    assert "chair" in response.json()
