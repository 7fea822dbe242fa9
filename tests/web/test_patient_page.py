"""The patient page: sessions, labs with readiness, reminders and contact preferences."""

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db


def test_patient_page_shows_sessions_labs_reminders_and_contact(
    login, front_desk, nurse_user, booked_day
):
    (session,) = booked_day(1)
    patient = session.patient
    patient.sms_opted_out_at = session.created_at
    patient.save(update_fields=["sms_opted_out_at"])
    for user in (front_desk, nurse_user):
        client = login(user)
        page = client.get(reverse("patient_detail", args=[patient.pk]))
        assert page.status_code == 200
        html = page.content.decode()
        assert "Upcoming sessions" in html and "Ocrevus" in html
        assert "Labs for the next session" in html and "Labs missing" in html
        assert "Hepatitis B" in html  # the first-dose gate, named
        assert "Texted STOP on" in html and "no texts" in html
        assert "Lab checklist" in html  # a planned reminder row
        client.logout()


def test_unknown_patient_is_404(login, front_desk, clinic):
    assert login(front_desk).get(reverse("patient_detail", args=[424242])).status_code == 404


def test_patient_list_search(login, nurse_user, make_patient):
    make_patient(last_name="Curie")
    page = login(nurse_user).get(reverse("patient_list"), {"q": "curie"})
    assert page.status_code == 200 and "Curie" in page.content.decode()
    assert "Choose</a>" not in page.content.decode()  # nurses do not book
