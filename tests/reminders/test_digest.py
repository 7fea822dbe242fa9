"""The charge nurse's afternoon digest: tomorrow's patients whose labs or REMS are not ready."""

import datetime as dt

import pytest
from django.utils import timezone

from patients.models import LabResult, PatientProtocol
from scheduling import services
from scheduling.digest import send_digest
from scheduling.tasks import send_charge_nurse_digest
from tests.conftest import at

pytestmark = pytest.mark.django_db


def test_digest_lists_only_the_not_ready(clinic, clinic_day, make_patient, center, mailoutbox):
    center.charge_nurse_email = "charge@riverside.example"
    center.save()
    ocrevus, tysabri = clinic["protocols"]["ocrelizumab_iv"], clinic["protocols"]["natalizumab"]
    ready = make_patient(first_name="Ready", last_name="Patient")
    no_labs = make_patient(first_name="Nolabs", last_name="Patient")
    no_rems = make_patient(first_name="Norems", last_name="Patient")
    s_ready = services.book_session(
        patient=ready, protocol=ocrevus, dose_number=1, start=at(clinic_day, 8)
    )
    services.book_session(patient=no_labs, protocol=ocrevus, dose_number=1, start=at(clinic_day, 9))
    s_rems = services.book_session(
        patient=no_rems,
        protocol=tysabri,
        dose_number=1,
        start=at(clinic_day, 10),
        nurse=clinic["nurses"][1],
    )
    for session in (s_ready, s_rems):
        for req in session.protocol.lab_requirements.all():
            LabResult.objects.create(
                patient=session.patient,
                lab_test=req.lab_test,
                collected_on=clinic_day - dt.timedelta(days=5),
                resulted_on=clinic_day - dt.timedelta(days=4),
            )
    PatientProtocol.objects.filter(patient=no_rems).update(rems_authorized_until=None)
    count = send_digest(today=clinic_day - dt.timedelta(days=1))
    assert count == 2
    (msg,) = mailoutbox
    assert msg.to == ["charge@riverside.example"]
    assert "2 patient(s) not ready" in msg.subject
    assert "Nolabs Patient" in msg.body and "Norems Patient" in msg.body
    assert "Ready Patient" not in msg.body
    assert "REMS" in msg.body
    missing = ocrevus.lab_requirements.first().lab_test.name
    assert missing in msg.body
    assert msg.alternatives and "Nolabs Patient" in msg.alternatives[0][0]


def test_digest_says_when_everyone_is_ready_and_skips_without_a_recipient(
    clinic, center, mailoutbox
):
    assert send_digest() == 0 and mailoutbox == []  # nobody to send it to
    center.charge_nurse_email = "charge@riverside.example"
    center.save()
    assert send_charge_nurse_digest() == 0
    assert "everyone is ready" in mailoutbox[0].subject
    assert timezone.now()
