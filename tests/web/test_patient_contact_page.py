"""The patient page's contact editing: who may, errors in place, consent never pre-ticked, the
warning for a patient no channel can reach."""

import pytest
from django.urls import reverse

from scheduling.models import AuditEvent

pytestmark = pytest.mark.django_db


def test_front_desk_edits_contact_details_and_an_audit_row_is_written(
    login, front_desk, make_patient
):
    patient = make_patient()
    client = login(front_desk)
    page = client.get(reverse("patient_detail", args=[patient.pk]))
    assert reverse("patient_contact", args=[patient.pk]) in page.content.decode()
    form = client.get(reverse("patient_contact", args=[patient.pk]))
    assert form.status_code == 200 and patient.email in form.content.decode()
    done = client.post(
        reverse("patient_contact", args=[patient.pk]),
        {
            "email": "New@Example.ORG",
            "mobile": "(617) 555-0177",
            "preferred_channel": "sms",
            "language": "es",
            "time_zone": "America/Chicago",
            "email_consent": "on",
            "sms_consent": "on",
            "consent_source": "",
        },
    )
    assert done.status_code == 302
    patient.refresh_from_db()
    assert patient.email == "New@example.org" and patient.mobile == "+16175550177"
    assert patient.preferred_channel == "sms" and patient.time_zone == "America/Chicago"
    assert AuditEvent.objects.get(action="contact_updated").actor == front_desk


def test_errors_show_in_place_and_nothing_is_saved(login, front_desk, make_patient):
    patient = make_patient(sms_consent=False)
    bad = login(front_desk).post(
        reverse("patient_contact", args=[patient.pk]),
        {
            "email": patient.email,
            "mobile": "12",
            "preferred_channel": "both",
            "language": "en",
            "time_zone": "America/New_York",
            "email_consent": "on",
        },
    )
    assert bad.status_code == 400
    html = bad.content.decode()
    assert "Please correct the fields marked below." in html
    assert "not a valid phone number" in html or "not a phone number" in html
    assert not AuditEvent.objects.filter(action="contact_updated").exists()


def test_consent_change_needs_its_source_shown_in_place(login, front_desk, make_patient):
    patient = make_patient()
    bad = login(front_desk).post(
        reverse("patient_contact", args=[patient.pk]),
        {
            "email": patient.email,
            "mobile": patient.mobile,
            "preferred_channel": "both",
            "language": "en",
            "time_zone": "America/New_York",
            "email_consent": "on",
        },
    )
    assert bad.status_code == 400
    assert "Say how the consent was given or withdrawn." in bad.content.decode()
    patient.refresh_from_db()
    assert patient.sms_consent


def test_nurse_reads_but_cannot_edit(login, nurse_user, make_patient):
    patient = make_patient()
    client = login(nurse_user)
    page = client.get(reverse("patient_detail", args=[patient.pk]))
    assert page.status_code == 200
    assert reverse("patient_contact", args=[patient.pk]) not in page.content.decode()
    assert client.get(reverse("patient_contact", args=[patient.pk])).status_code == 403
    post = client.post(reverse("patient_contact", args=[patient.pk]), {"email": "x@example.org"})
    assert post.status_code == 403


def test_manager_may_edit(login, manager, make_patient):
    patient = make_patient()
    assert login(manager).get(reverse("patient_contact", args=[patient.pk])).status_code == 200


def test_new_patient_form_starts_with_consent_unticked_and_records_it(login, front_desk, clinic):
    client = login(front_desk)
    html = client.get(reverse("patient_new")).content.decode()
    for name in ("email_consent", "sms_consent"):
        box = html.split(f'name="{name}"', 1)[1].split(">", 1)[0]
        assert "checked" not in box, name
    ok = client.post(
        reverse("patient_new"),
        {
            "mrn": "MRN-AL",
            "first_name": "Ada",
            "last_name": "Lovelace",
            "date_of_birth": "1970-12-10",
            "email": "ada@example.org",
            "mobile": "(617) 555-0198",
            "preferred_channel": "both",
            "sms_consent": "on",
            "consent_source": "written",
        },
    )
    assert ok.status_code == 302
    from patients.models import Patient

    patient = Patient.objects.get(mrn="MRN-AL")
    assert patient.sms_consent and patient.sms_consent_at is not None
    assert not patient.email_consent and patient.email_consent_at is None
    assert patient.consent_source == "written"


def test_unreachable_patient_is_warned_on_the_patient_page(login, front_desk, make_patient):
    reachable = make_patient()
    unreachable = make_patient(email_consent=False, sms_consent=False)
    client = login(front_desk)
    assert (
        'data-testid="unreachable"'
        not in client.get(reverse("patient_detail", args=[reachable.pk])).content.decode()
    )
    assert (
        'data-testid="unreachable"'
        in client.get(reverse("patient_detail", args=[unreachable.pk])).content.decode()
    )


def test_unreachable_patient_is_warned_on_the_booking_confirmation(login, front_desk, booked_day):
    (session,) = booked_day(1)
    url = reverse("booking_done", kwargs={"kind": "session", "pk": session.pk})
    client = login(front_desk)
    assert 'data-testid="unreachable"' not in client.get(url).content.decode()
    patient = session.patient
    patient.email_opted_out = True
    patient.sms_consent = False
    patient.save(update_fields=["email_opted_out", "sms_consent"])
    assert 'data-testid="unreachable"' in client.get(url).content.decode()
