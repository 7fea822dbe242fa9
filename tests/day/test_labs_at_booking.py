"""Labs at booking: the options mark doses whose gating labs cannot be resulted in time;
booking one needs an explicit acknowledgement, stored and shown; a draw-by date is never in
the past, and a later date is suggested."""

import datetime as dt

import pytest
import time_machine
from django.urls import reverse

from patients.models import LabResult, LabStatus
from scheduling import selectors, services
from scheduling.exceptions import LabGateUnacknowledged
from scheduling.models import AuditEvent, LabTest
from tests.conftest import at

pytestmark = [pytest.mark.postgres, pytest.mark.django_db]


@pytest.fixture
def the_day_before(clinic_day):
    with time_machine.travel(at(clinic_day - dt.timedelta(days=1), 10), tick=False):
        yield clinic_day - dt.timedelta(days=1)


def _book(clinic, patient, day, **extra):
    return services.book_session(
        patient=patient,
        protocol=clinic["protocols"]["ocrelizumab_iv"],
        dose_number=1,
        start=at(day, 9),
        **extra,
    )


def test_a_new_ocrevus_start_tomorrow_without_labs_needs_an_acknowledgement(
    clinic, clinic_day, make_patient, make_staff, the_day_before
):
    """The issue's case: booked for tomorrow with hepatitis B and the rest missing, no word."""
    desk = make_staff("front_desk")
    patient = make_patient()
    with pytest.raises(LabGateUnacknowledged, match="Hepatitis B") as exc:
        _book(clinic, patient, clinic_day, by=desk)
    assert exc.value.code == "labs"
    assert {c["resource"] for c in exc.value.conflicts} == {
        "hbv_screening",
        "immunoglobulins",
        "lfts",
    }
    assert all(c["suggested_date"] > the_day_before.isoformat() for c in exc.value.conflicts)
    assert not patient.sessions.exists()

    session = _book(
        clinic,
        patient,
        clinic_day,
        by=desk,
        lab_acknowledgement="Neurologist: start now, drawn today",
    )
    assert session.lab_acknowledgement == "Neurologist: start now, drawn today"
    assert session.lab_acknowledged_by == desk and session.lab_acknowledged_at is not None
    event = AuditEvent.objects.get(session=session, action="booked")
    assert "hbv_screening" in event.reason and "drawn today" in event.reason


def test_the_checklist_never_asks_for_a_draw_in_the_past(
    clinic, clinic_day, make_patient, the_day_before
):
    session = _book(clinic, make_patient(), clinic_day, lab_acknowledgement="urgent start")
    checklist = selectors.lab_checklist(session=session)
    for item in checklist.missing:
        assert item.needed_by >= the_day_before, item
        assert item.late and item.suggested_date == the_day_before + dt.timedelta(days=3)
        assert "No time left" in item.message and "draw it today" in item.message


def test_a_week_ahead_there_is_time_and_no_question(clinic, clinic_day, make_patient):
    session = _book(clinic, make_patient(), clinic_day)  # clinic_day is a week or more ahead
    assert session.lab_acknowledgement == ""
    items = selectors.lab_checklist(session=session).missing
    assert items and not any(i.late for i in items)


def test_labs_in_on_time_need_no_acknowledgement(clinic, clinic_day, make_patient, the_day_before):
    patient = make_patient()
    for code in ("hbv_screening", "immunoglobulins", "lfts"):
        LabResult.objects.create(
            patient=patient,
            lab_test=LabTest.objects.get(code=code),
            collected_on=the_day_before - dt.timedelta(days=10),
            resulted_on=the_day_before - dt.timedelta(days=8),
            status=LabStatus.RESULTED,
        )
    assert _book(clinic, patient, clinic_day).lab_acknowledgement == ""


def test_the_api_marks_the_options_and_asks_for_the_acknowledgement(
    clinic, clinic_day, make_patient, make_staff, api_for, the_day_before
):
    patient = make_patient()
    desk = api_for(make_staff("front_desk"))
    options = desk.get(
        "/api/availability/",
        {
            "patient": patient.pk,
            "protocol": "ocrelizumab_iv",
            "date_from": clinic_day.isoformat(),
            "date_to": (clinic_day + dt.timedelta(days=7)).isoformat(),
            "limit": 20,
            "spread": "days",
        },
    ).json()
    by_day = {dt.datetime.fromisoformat(o["start"]).date(): o["labs_at_risk"] for o in options}
    assert by_day[clinic_day] and "Hepatitis B" in " ".join(by_day[clinic_day])
    assert any(not risk for day, risk in by_day.items() if day >= clinic_day + dt.timedelta(days=3))
    body = {
        "patient": patient.pk,
        "protocol": "ocrelizumab_iv",
        "dose_number": 1,
        "start": at(clinic_day, 9).isoformat(),
    }
    refused = desk.post("/api/sessions/", body, format="json")
    assert refused.status_code == 409 and refused.json()["code"] == "labs"
    booked = desk.post(
        "/api/sessions/", {**body, "lab_acknowledgement": "urgent, drawn today"}, format="json"
    )
    assert booked.status_code == 201, booked.json()


def test_the_acknowledgement_shows_on_confirmation_panel_and_roster(
    clinic, clinic_day, make_patient, make_staff, client, the_day_before
):
    session = _book(clinic, make_patient(), clinic_day, lab_acknowledgement="urgent, drawn today")
    manager = make_staff("manager")
    client.force_login(manager)
    pages = [
        client.get(reverse("booking_done", args=["session", session.pk])),
        client.get(reverse("session_detail", args=[session.pk])),
        client.get(reverse("roster"), {"date": clinic_day.isoformat()}),
    ]
    for page in pages:
        assert page.status_code == 200
        assert "urgent, drawn today" in page.content.decode()
