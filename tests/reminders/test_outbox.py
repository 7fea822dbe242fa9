"""Booking, moving and cancelling write, re-time and cancel reminder rows in the same transaction."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from scheduling import services
from scheduling.models import Reminder
from tests.conftest import at

pytestmark = pytest.mark.django_db
NY = ZoneInfo("America/New_York")


def live(session):
    return Reminder.objects.filter(session=session, status__in=["pending", "sending"])


def local(moment):
    return moment.astimezone(NY)


def test_booking_plans_checklist_prep_and_day_before_at_center_defaults(booked, clinic_day):
    rows = {(r.kind, r.channel): r for r in live(booked)}
    assert set(rows) == {("lab_checklist", "email"), ("prep", "email"), ("day_before", "sms")}
    assert local(rows["lab_checklist", "email"].due_at) == at(clinic_day - dt.timedelta(days=7), 10)
    assert local(rows["prep", "email"].due_at) == at(clinic_day - dt.timedelta(days=3), 10)
    assert local(rows["day_before", "sms"].due_at) == at(clinic_day - dt.timedelta(days=1), 10)


def test_center_settings_change_the_defaults(clinic, clinic_day, make_patient, center):
    center.lab_checklist_days_before = 5
    center.prep_reminder_days_before = 2
    center.day_before_sms = False
    center.save()
    session = services.book_session(
        patient=make_patient(),
        protocol=clinic["protocols"]["ocrelizumab_iv"],
        dose_number=1,
        start=at(clinic_day, 9),
    )
    due = {r.kind: local(r.due_at) for r in live(session)}
    assert due == {
        "lab_checklist": at(clinic_day - dt.timedelta(days=5), 10),
        "prep": at(clinic_day - dt.timedelta(days=2), 10),
    }


def test_a_failed_booking_leaves_no_reminders(booked, clinic, clinic_day, make_patient):
    before = Reminder.objects.count()
    with pytest.raises(services.BookingConflict):
        services.book_session(
            patient=make_patient(),
            protocol=clinic["protocols"]["ocrelizumab_iv"],
            dose_number=1,
            start=at(clinic_day, 9),
            chair=booked.chair,
        )
    assert Reminder.objects.count() == before


def test_reschedule_retimes_and_queues_one_move_notice_per_channel(booked, clinic_day):
    old_ids = set(live(booked).values_list("pk", flat=True))
    new_day = clinic_day + dt.timedelta(days=2)
    services.reschedule(session=booked, start=at(new_day, 11))
    assert Reminder.objects.filter(pk__in=old_ids, status="cancelled").count() == len(old_ids)
    rows = {(r.kind, r.channel): r for r in live(booked)}
    assert local(rows["prep", "email"].due_at) == at(new_day - dt.timedelta(days=3), 10)
    assert local(rows["day_before", "sms"].due_at) == at(new_day - dt.timedelta(days=1), 10)
    notices = [k for k in rows if k[0] == "reschedule"]
    assert sorted(notices) == [("reschedule", "email"), ("reschedule", "sms")]


def test_two_moves_leave_one_live_move_notice(booked, clinic_day):
    services.reschedule(session=booked, start=at(clinic_day, 11))
    services.reschedule(session=booked, start=at(clinic_day, 13))
    assert live(booked).filter(kind="reschedule", channel="email").count() == 1
    assert (
        Reminder.objects.filter(
            session=booked, kind="reschedule", skip_reason="superseded by a later move"
        ).count()
        == 2
    )


def test_cancel_cancels_everything_unsent_and_queues_one_notice(booked):
    services.cancel(session=booked, reason="patient unwell")
    remaining = live(booked)
    assert sorted(remaining.values_list("kind", "channel")) == [
        ("cancellation", "email"),
        ("cancellation", "sms"),
    ]
    assert not Reminder.objects.filter(
        session=booked, kind__in=["prep", "day_before", "lab_checklist"], status="pending"
    ).exists()


def test_email_only_patient_gets_the_day_before_by_email(clinic, clinic_day, make_patient):
    session = services.book_session(
        patient=make_patient(mobile=""),
        protocol=clinic["protocols"]["natalizumab"],
        dose_number=1,
        start=at(clinic_day, 9),
    )
    assert sorted(live(session).values_list("kind", "channel")) == [
        ("day_before", "email"),
        ("lab_checklist", "email"),
        ("prep", "email"),
    ]


def test_opted_out_texts_are_never_planned(clinic, clinic_day, make_patient):
    from django.utils import timezone

    patient = make_patient(sms_opted_out_at=timezone.now())
    session = services.book_session(
        patient=patient,
        protocol=clinic["protocols"]["natalizumab"],
        dose_number=1,
        start=at(clinic_day, 9),
    )
    assert not live(session).filter(channel="sms").exists()


def test_a_move_does_not_repeat_a_past_due_reminder_the_patient_already_has(booked, clinic_day):
    import time_machine

    prep = live(booked).get(kind="prep")
    # The clock is chosen: a Wednesday 14:00, and the move is to that Friday 15:00, whose
    # prep time (Tuesday 10:00, 3 days before) is already past whatever day the suite runs.
    wednesday = clinic_day - dt.timedelta(days=5)
    with time_machine.travel(at(wednesday, 14), tick=False):
        Reminder.objects.filter(pk=prep.pk).update(status="sent", sent_at=at(wednesday, 9))
        services.reschedule(session=booked, start=at(wednesday + dt.timedelta(days=2), 15))
    kinds = set(live(booked).values_list("kind", flat=True))
    assert "prep" not in kinds
    assert "reschedule" in kinds
