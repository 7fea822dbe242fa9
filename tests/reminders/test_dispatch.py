"""Claim, lease, deliver: each reminder goes out once, in a terminal state, with the right content."""

import datetime as dt
from zoneinfo import ZoneInfo

import icalendar
import pytest
from django.utils import timezone

from scheduling import selectors, services
from scheduling.models import LabTest, Reminder
from scheduling.notifications import dispatch
from tests.conftest import at
from tests.reminders.conftest import make_due

pytestmark = pytest.mark.django_db
NY = ZoneInfo("America/New_York")


def reminder(session, kind, channel="email"):
    return Reminder.objects.get(
        session=session, kind=kind, channel=channel, status__in=["pending", "sending"]
    )


def test_claim_marks_sending_with_a_lease_and_counts_the_attempt(booked, settings):
    prep = reminder(booked, "prep")
    make_due(prep)
    now = timezone.now()
    assert dispatch.claim_due(now=now) == [prep.pk]
    prep.refresh_from_db()
    assert prep.status == "sending" and prep.attempts == 1
    assert prep.lease_until == now + dt.timedelta(seconds=settings.REMINDER_LEASE_SECONDS)
    # Claimed and leased: a second dispatcher run does not take it again.
    assert dispatch.claim_due(now=now + dt.timedelta(seconds=5)) == []


def test_an_expired_lease_is_claimed_again(booked, settings):
    prep = reminder(booked, "prep")
    make_due(prep)
    now = timezone.now()
    dispatch.claim_due(now=now)
    later = now + dt.timedelta(seconds=settings.REMINDER_LEASE_SECONDS + 1)
    assert dispatch.claim_due(now=later) == [prep.pk]
    prep.refresh_from_db()
    assert prep.attempts == 2


def test_not_yet_due_reminders_stay_put(booked):
    assert dispatch.claim_due() == []


def test_deliver_sends_once_and_records_the_provider_id(booked, mailoutbox, sms_outbox):
    prep = reminder(booked, "prep")
    make_due(prep)
    (outcome,) = dispatch.dispatch_inline()
    assert outcome.result == "sent"
    prep.refresh_from_db()
    assert prep.status == "sent" and prep.sent_at and prep.provider_message_id
    assert len(mailoutbox) == 1
    assert mailoutbox[0].extra_headers["Message-ID"] == prep.provider_message_id
    # The same task delivered again (broker redelivery) is a no-op.
    assert dispatch.deliver(prep.pk).result == "noop"
    assert len(mailoutbox) == 1


def test_prep_email_has_text_html_and_a_parseable_ics_in_the_center_zone(
    booked, mailoutbox, sms_outbox
):
    make_due(reminder(booked, "prep"))
    dispatch.dispatch_inline()
    (msg,) = mailoutbox
    assert msg.to == [booked.patient.email]
    html = msg.alternatives[0][0]
    assert msg.alternatives[0][1] == "text/html"
    for body in (msg.body, html):
        assert "arrive at 9:00 AM" in body
        assert "about 4 hours" in body  # whole chair time: premed + infusion + observation
        assert "medications and allergies" in body
        assert "layers" in body and "something to do" in body.lower()
        assert "drink plenty of water" in body and "eat a normal meal" in body
        assert "Bring a driver" in body  # Ocrevus premedication can cause drowsiness
        assert booked.protocol.brand_name in body
    (name, content, mimetype) = msg.attachments[0]
    assert name == "visit.ics" and mimetype.startswith("text/calendar")
    cal = icalendar.Calendar.from_ical(content)
    (event,) = cal.walk("VEVENT")
    start = event["DTSTART"]
    assert start.params["TZID"] == "America/New_York"
    assert start.dt == booked.start
    assert start.dt.astimezone(NY).hour == 9
    assert event["DTEND"].dt == booked.observation_end
    assert str(event["UID"]).startswith(f"session-{booked.pk}@")
    assert cal.walk("VTIMEZONE"), "the calendar carries its VTIMEZONE"


def test_no_driver_line_when_premedication_does_not_cause_drowsiness(
    clinic, clinic_day, make_patient, no_quiet_hours, mailoutbox
):
    protocol = clinic["protocols"]["natalizumab"]
    assert not protocol.premed_causes_drowsiness
    session = services.book_session(
        patient=make_patient(),
        protocol=protocol,
        dose_number=1,
        start=at(clinic_day, 9),
        nurse=clinic["nurses"][1],
    )
    make_due(reminder(session, "prep"))
    dispatch.dispatch_inline()
    assert "Bring a driver" not in mailoutbox[0].body
    assert "drive yourself home" in mailoutbox[0].body


def test_lab_checklist_names_exactly_the_missing_tests_and_by_when(booked, mailoutbox):
    from patients.models import LabResult

    required = list(
        booked.protocol.lab_requirements.filter(gate="first_dose").select_related("lab_test")
    )
    assert len(required) >= 2
    done = required[0].lab_test
    LabResult.objects.create(
        patient=booked.patient,
        lab_test=done,
        collected_on=timezone.localdate() - dt.timedelta(days=2),
        resulted_on=timezone.localdate() - dt.timedelta(days=1),
    )
    expected = selectors.lab_checklist(session=booked).missing
    make_due(reminder(booked, "lab_checklist"))
    dispatch.dispatch_inline()
    (msg,) = mailoutbox
    for item in expected:
        # The patient's words for the test (catalogue patient_name), never the staff name.
        assert item.patient_name in msg.body
        assert item.test_name not in msg.body
        assert f"{item.needed_by:%a %b} {item.needed_by.day}" in msg.body
    assert done.name not in msg.body
    assert "Missing;" not in msg.body  # patient wording, not the staff checklist message
    other_tests = LabTest.objects.exclude(requirements__protocol=booked.protocol)
    assert not [t.name for t in other_tests if t.name in msg.body]


def test_lab_checklist_is_skipped_when_every_lab_is_in(booked, mailoutbox):
    from patients.models import LabResult

    for req in booked.protocol.lab_requirements.all():
        LabResult.objects.create(
            patient=booked.patient,
            lab_test=req.lab_test,
            collected_on=timezone.localdate() - dt.timedelta(days=2),
            resulted_on=timezone.localdate() - dt.timedelta(days=1),
        )
    r = reminder(booked, "lab_checklist")
    make_due(r)
    dispatch.dispatch_inline()
    r.refresh_from_db()
    assert (r.status, r.skip_reason) == ("skipped", "every lab is in and current")
    assert mailoutbox == []


def test_quiet_hours_defer_to_nine_in_the_patients_zone(booked, center, mailoutbox):
    center.quiet_hours_start, center.quiet_hours_end = dt.time(21), dt.time(9)
    center.save()
    booked.patient.time_zone = "America/Los_Angeles"
    booked.patient.save()
    la = ZoneInfo("America/Los_Angeles")
    prep = reminder(booked, "prep")
    # 23:30 in Los Angeles (02:30 in New York): too late for this patient.
    night = dt.datetime.combine(
        booked.start.astimezone(la).date() - dt.timedelta(days=4), dt.time(23, 30), tzinfo=la
    )
    make_due(prep, when=night - dt.timedelta(hours=1))
    assert dispatch.claim_due(now=night) == []
    prep.refresh_from_db()
    assert prep.status == "pending" and prep.attempts == 0
    assert prep.due_at.astimezone(la) == dt.datetime.combine(
        night.date() + dt.timedelta(days=1), dt.time(9), tzinfo=la
    )


def test_a_task_that_waited_into_the_night_hands_the_row_back(booked, center, mailoutbox):
    prep = reminder(booked, "prep")
    make_due(prep)
    noon = dt.datetime.combine(
        booked.start.astimezone(NY).date() - dt.timedelta(days=4), dt.time(12), tzinfo=NY
    )
    dispatch.claim_due(now=noon)
    center.quiet_hours_start, center.quiet_hours_end = dt.time(21), dt.time(9)
    center.save()
    outcome = dispatch.deliver(prep.pk, now=noon.replace(hour=22))
    assert outcome.result == "deferred"
    prep.refresh_from_db()
    assert prep.status == "pending" and prep.attempts == 0
    assert prep.due_at.astimezone(NY).hour == 9
    assert mailoutbox == []


def test_at_most_one_automated_text_per_patient_per_day(
    clinic, clinic_day, make_patient, no_quiet_hours, sms_outbox
):
    patient = make_patient(email="")  # texts only
    session = services.book_session(
        patient=patient,
        protocol=clinic["protocols"]["ocrelizumab_iv"],
        dose_number=1,
        start=at(clinic_day, 9),
    )
    make_due(Reminder.objects.filter(session=session, kind__in=["prep", "lab_checklist"]))
    outcomes = sorted(o.result for o in dispatch.dispatch_inline())
    assert outcomes == ["deferred", "sent"]
    assert len(sms_outbox) == 1
    deferred = Reminder.objects.get(
        session=session, status="pending", kind__in=["prep", "lab_checklist"]
    )
    assert deferred.due_at.astimezone(NY).date() == timezone.now().astimezone(
        NY
    ).date() + dt.timedelta(days=1)
    # A move notice is not an automated reminder: it still goes out today.
    services.reschedule(session=session, start=at(clinic_day, 11))
    make_due(Reminder.objects.filter(session=session, kind="reschedule"))
    assert [o.result for o in dispatch.dispatch_inline()] == ["sent"]
    assert len(sms_outbox) == 2


def test_cancelled_session_sends_only_its_notice(booked, mailoutbox, sms_outbox):
    services.cancel(session=booked, reason="patient unwell")
    make_due(Reminder.objects.filter(session=booked))
    results = dispatch.dispatch_inline()
    assert sorted(o.result for o in results) == ["sent", "sent"]
    assert [m.subject for m in mailoutbox] == [
        f"Your visit on {booked.start.astimezone(NY):%a %b} "
        f"{booked.start.astimezone(NY).day} is cancelled"
    ]
    assert len(sms_outbox) == 1 and "cancelled" in sms_outbox[0]["body"]
    cal = icalendar.Calendar.from_ical(mailoutbox[0].attachments[0][1])
    assert str(cal["METHOD"]) == "CANCEL"


def test_a_reminder_in_flight_when_the_session_is_cancelled_is_skipped(booked, mailoutbox):
    prep = reminder(booked, "prep")
    make_due(prep)
    dispatch.claim_due()
    # The session is cancelled behind the outbox's back (e.g. an admin edit): the send re-checks.
    type(booked).objects.filter(pk=booked.pk).update(status="cancelled", cancel_reason="admin")
    assert dispatch.deliver(prep.pk).result == "skipped"
    prep.refresh_from_db()
    assert prep.status == "skipped" and prep.skip_reason == "session cancelled"
    assert mailoutbox == []


def test_transient_errors_retry_with_backoff_then_fail_for_good(booked, settings, monkeypatch):
    settings.REMINDER_MAX_ATTEMPTS = 3
    calls = []

    def boom(reminder, center, checklist, connections):
        calls.append(reminder.attempts)
        raise dispatch.TransientSendError("SMTP 451: try later")

    monkeypatch.setattr(dispatch, "_send_email", boom)
    prep = reminder(booked, "prep")
    gaps = []
    for attempt in (1, 2, 3):
        make_due(prep)
        before = timezone.now()
        (outcome,) = dispatch.dispatch_inline()
        prep.refresh_from_db()
        if attempt < 3:
            assert outcome.result == "retry" and prep.status == "pending"
            gaps.append((prep.due_at - before).total_seconds())
        else:
            assert outcome.result == "failed" and prep.status == "failed"
            assert "after 3 attempts" in prep.last_error
    assert calls == [1, 2, 3]
    base = settings.REMINDER_RETRY_BASE_SECONDS
    assert 0.75 * base <= gaps[0] <= 1.25 * base + 1
    assert 1.5 * base <= gaps[1] <= 2.5 * base + 1


def test_a_permanent_refusal_fails_at_once(booked, monkeypatch):
    def refuse(reminder, center, checklist, connections):
        raise dispatch.PermanentSendError("recipient refused: 550")

    monkeypatch.setattr(dispatch, "_send_email", refuse)
    prep = reminder(booked, "prep")
    make_due(prep)
    (outcome,) = dispatch.dispatch_inline()
    prep.refresh_from_db()
    assert (outcome.result, prep.status, prep.attempts) == ("failed", "failed", 1)


def test_backoff_grows_exponentially_with_jitter(settings):
    import random

    settings.REMINDER_RETRY_BASE_SECONDS = 10
    settings.REMINDER_RETRY_MAX_SECONDS = 100
    rng = random.Random(1)
    values = [dispatch.backoff_seconds(n, rng=rng) for n in (1, 2, 3, 4, 5, 6)]
    for n, v in zip((1, 2, 3, 4), values, strict=False):
        assert 0.75 * 10 * 2 ** (n - 1) <= v <= 1.25 * 10 * 2 ** (n - 1)
    assert all(v <= 125 for v in values)
    assert len({round(v, 6) for v in values}) == len(values)  # jittered, never in step
