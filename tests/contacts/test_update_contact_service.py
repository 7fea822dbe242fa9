"""update_contact: the front desk's edit of contact details and consent, validated and audited."""

import datetime as dt

import pytest
import time_machine
from django.utils import timezone

from patients.registration import PatientDataError
from patients.services import update_contact
from scheduling.models import AuditEvent

pytestmark = [pytest.mark.django_db, pytest.mark.postgres]


def test_mobile_is_normalized_and_one_audit_row_has_before_and_after(make_patient, make_staff):
    desk = make_staff("front_desk")
    patient = make_patient(mobile="+16175550001")
    update_contact(patient=patient, by=desk, mobile="(617) 555-0142", language="ES")
    patient.refresh_from_db()
    assert patient.mobile == "+16175550142" and patient.language == "es"
    (row,) = AuditEvent.objects.filter(action="contact_updated")
    assert row.actor == desk and row.session is None
    assert row.before == {"mobile": "+16175550001", "language": "en"}
    assert row.after["mobile"] == "+16175550142" and row.after["patient_id"] == patient.pk


def test_nothing_changed_writes_no_audit_row(make_patient, make_staff):
    patient = make_patient()
    update_contact(patient=patient, by=make_staff("front_desk"), email=patient.email)
    assert not AuditEvent.objects.filter(action="contact_updated").exists()


@pytest.mark.parametrize(
    "changes, field",
    [
        ({"mobile": "12"}, "mobile"),
        ({"email": "not-an-address"}, "email"),
        ({"time_zone": "Mars/Olympus"}, "time_zone"),
        ({"preferred_channel": "fax"}, "preferred_channel"),
        ({"language": "x" * 20}, "language"),
    ],
)
def test_bad_values_are_refused_naming_the_field(make_patient, make_staff, changes, field):
    patient = make_patient()
    with pytest.raises(PatientDataError) as exc:
        update_contact(patient=patient, by=make_staff("front_desk"), **changes)
    assert exc.value.field == field
    assert not AuditEvent.objects.filter(action="contact_updated").exists()


def test_consent_records_when_and_how_given_and_withdrawn(make_patient, make_staff):
    desk = make_staff("front_desk")
    patient = make_patient(sms_consent=False)
    when = dt.datetime(2026, 3, 2, 15, 0, tzinfo=dt.UTC)
    with time_machine.travel(when, tick=False):
        update_contact(patient=patient, by=desk, consent_source="phone", sms_consent=True)
    patient.refresh_from_db()
    assert patient.sms_consent and patient.sms_consent_at == when
    assert patient.consent_source == "phone" and patient.email_consent_at is None
    row = AuditEvent.objects.get(action="contact_updated")
    assert row.before["sms_consent"] is False and row.after["sms_consent"] is True
    assert row.after["consent_source"] == "phone"
    later = when + dt.timedelta(days=3)
    with time_machine.travel(later, tick=False):
        update_contact(patient=patient, by=desk, consent_source="written", sms_consent=False)
    patient.refresh_from_db()
    assert not patient.sms_consent and patient.sms_consent_at == later
    assert patient.consent_source == "written"


def test_consent_change_without_saying_how_is_refused(make_patient, make_staff):
    patient = make_patient()
    with pytest.raises(PatientDataError) as exc:
        update_contact(patient=patient, by=make_staff("front_desk"), email_consent=False)
    assert exc.value.field == "consent_source"
    patient.refresh_from_db()
    assert patient.email_consent and patient.email_consent_at is None


def test_unreachable_when_no_channel_has_consent(make_patient):
    patient = make_patient(email_consent=False)
    assert not patient.unreachable  # still texts
    patient.sms_opted_out_at = timezone.now()
    assert patient.unreachable
