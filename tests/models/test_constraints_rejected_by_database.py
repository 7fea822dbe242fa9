"""The database itself refuses bad rows, even when code bypasses forms and services.

Each case writes with Model.objects.create/update directly. PostgreSQL only: the exclusion
constraints (no double-booked chair or patient) exist only there.
"""

import datetime as dt

import pytest
from django.db import IntegrityError, transaction

from patients.models import Patient
from scheduling.models import DoseRule, InfusionSession, NurseShift, Reminder, SessionStatus
from tests.factories import (
    ChairFactory,
    DoseRuleFactory,
    InfusionSessionFactory,
    NurseFactory,
    PatientFactory,
    ProtocolFactory,
    ReminderFactory,
)

pytestmark = [pytest.mark.postgres, pytest.mark.django_db]


def rejected():
    """Expect the database to refuse the write, keeping the test's transaction usable."""

    class _Rejected:
        def __enter__(self):
            self._raises = pytest.raises(IntegrityError)
            self._raises.__enter__()
            self._atomic = transaction.atomic()
            self._atomic.__enter__()

        def __exit__(self, *exc):
            self._atomic.__exit__(*exc)
            return self._raises.__exit__(*exc)

    return _Rejected()


@pytest.mark.parametrize("minutes", [0, -30])
def test_infusion_minutes_must_be_positive(minutes):
    protocol = ProtocolFactory()
    with rejected():
        DoseRule.objects.create(protocol=protocol, from_dose=1, infusion_minutes=minutes)


def test_infusion_minutes_cannot_be_updated_to_zero():
    rule = DoseRuleFactory()
    with rejected():
        DoseRule.objects.filter(pk=rule.pk).update(infusion_minutes=0)


def test_to_dose_cannot_be_before_from_dose():
    protocol = ProtocolFactory()
    with rejected():
        DoseRule.objects.create(protocol=protocol, from_dose=3, to_dose=2, infusion_minutes=60)


def test_mrn_is_unique():
    PatientFactory(mrn="MRN-1")
    with rejected():
        PatientFactory(mrn="MRN-1")


def test_mobile_must_be_e164():
    with rejected():
        PatientFactory(mobile="617-555-0123")
    patient = PatientFactory()
    with rejected():
        Patient.objects.filter(pk=patient.pk).update(mobile="6175550123")


def test_shift_must_end_after_it_starts():
    nurse = NurseFactory(shifts=[])
    with rejected():
        NurseShift.objects.create(nurse=nurse, weekday=0, start=dt.time(15), end=dt.time(7))


def test_two_active_sessions_cannot_share_a_chair():
    first = InfusionSessionFactory()
    with rejected():
        InfusionSessionFactory(
            chair=first.chair, start=first.start + dt.timedelta(minutes=60), protocol=first.protocol
        )


def test_one_patient_cannot_be_in_two_chairs_at_once():
    first = InfusionSessionFactory()
    with rejected():
        InfusionSessionFactory(
            patient=first.patient,
            chair=ChairFactory(),
            start=first.start + dt.timedelta(minutes=30),
            protocol=first.protocol,
        )


def test_moving_a_session_onto_a_busy_chair_is_refused():
    first = InfusionSessionFactory()
    other = InfusionSessionFactory(start=first.start, protocol=first.protocol)
    with rejected():
        InfusionSession.objects.filter(pk=other.pk).update(chair=first.chair)


def test_a_cancelled_session_may_overlap():
    first = InfusionSessionFactory()
    first.status = SessionStatus.CANCELLED
    first.cancel_reason = "Patient has a fever"
    first.save()
    second = InfusionSessionFactory(
        chair=first.chair, patient=first.patient, start=first.start, protocol=first.protocol
    )
    assert InfusionSession.objects.active().get() == second


def test_back_to_back_sessions_do_not_overlap():
    first = InfusionSessionFactory()
    InfusionSessionFactory(
        chair=first.chair,
        patient=first.patient,
        start=first.chair_release_at,
        protocol=first.protocol,
    )
    assert InfusionSession.objects.active().count() == 2


def test_cancelled_needs_a_reason():
    session = InfusionSessionFactory()
    with rejected():
        InfusionSession.objects.filter(pk=session.pk).update(status=SessionStatus.CANCELLED)


def test_sent_reminder_needs_sent_at():
    reminder = ReminderFactory()
    with rejected():
        Reminder.objects.filter(pk=reminder.pk).update(status="sent", sent_at=None)


def test_only_one_live_reminder_per_kind_and_channel():
    reminder = ReminderFactory()
    with rejected():
        Reminder.objects.create(
            session=reminder.session,
            kind=reminder.kind,
            channel=reminder.channel,
            due_at=reminder.due_at,
        )
    # Once the first is sent, a new one may be queued (e.g. after a move).
    Reminder.objects.filter(pk=reminder.pk).update(status="sent", sent_at=reminder.due_at)
    Reminder.objects.create(
        session=reminder.session,
        kind=reminder.kind,
        channel=reminder.channel,
        due_at=reminder.due_at,
    )
