"""Moving and cancelling: the chair is freed, reminders follow, every change is audited."""

import datetime as dt

import pytest
import time_machine

from scheduling import services
from scheduling.exceptions import InvalidTransition, SchedulingError
from scheduling.models import AuditEvent, Reminder
from tests.conftest import at

pytestmark = pytest.mark.django_db


@pytest.fixture
def booked(clinic, clinic_day, make_patient, make_staff):
    coordinator = make_staff("front_desk")
    session = services.book_session(
        patient=make_patient(),
        protocol=clinic["protocols"]["ocrelizumab_iv"],
        dose_number=1,
        start=at(clinic_day, 9),
        chair=clinic["chairs"][0],
        by=coordinator,
    )
    return session, coordinator


def test_reschedule_moves_the_session_and_audits_before_and_after(booked, clinic_day):
    session, coordinator = booked
    moved = services.reschedule(
        session=session, start=at(clinic_day + dt.timedelta(days=1), 11), by=coordinator
    )
    assert moved.start == at(clinic_day + dt.timedelta(days=1), 11)
    event = AuditEvent.objects.get(session=session, action="rescheduled")
    assert event.actor == coordinator
    assert dt.datetime.fromisoformat(event.before["start"]) == at(clinic_day, 9)
    assert dt.datetime.fromisoformat(event.after["start"]) == moved.start
    # Scheduled reminders were re-planned for the new day, plus a move notice.
    live = Reminder.objects.filter(session=session, status="pending")
    assert live.filter(kind="reschedule").exists()
    prep = live.get(kind="prep", channel="email")
    assert prep.due_at.date() == (moved.start - dt.timedelta(days=3)).date()


def test_reschedule_into_a_clash_changes_nothing(booked, clinic, clinic_day, make_patient):
    session, _ = booked
    other = services.book_session(
        patient=make_patient(),
        protocol=clinic["protocols"]["natalizumab"],
        dose_number=1,
        start=at(clinic_day, 14),
        chair=clinic["chairs"][1],
    )
    with pytest.raises(services.BookingConflict):
        services.reschedule(session=session, start=at(clinic_day, 13), chair=clinic["chairs"][1])
    session.refresh_from_db()
    assert session.start == at(clinic_day, 9)
    assert other.chair_id == clinic["chairs"][1].pk


def test_reschedule_within_its_own_time_is_not_a_clash_with_itself(booked, clinic_day):
    session, _ = booked
    moved = services.reschedule(session=session, start=at(clinic_day, 9, 30), chair=session.chair)
    assert moved.start == at(clinic_day, 9, 30)


def test_cancel_needs_a_reason(booked):
    session, _ = booked
    with pytest.raises(SchedulingError) as err:
        services.cancel(session=session, reason="  ")
    assert err.value.field == "reason"


def test_cancel_frees_the_chair_and_sends_one_notice(booked, clinic, make_patient, clinic_day):
    session, coordinator = booked
    services.cancel(session=session, reason="Patient has a fever", by=coordinator)
    session.refresh_from_db()
    assert session.status == "cancelled"
    assert (
        not Reminder.objects.filter(session=session, status="pending")
        .exclude(kind="cancellation")
        .exists()
    )
    notices = Reminder.objects.filter(session=session, kind="cancellation")
    assert notices.count() == len({n.channel for n in notices}) >= 1
    replacement = services.book_session(
        patient=make_patient(),
        protocol=clinic["protocols"]["ocrelizumab_iv"],
        dose_number=1,
        start=at(clinic_day, 9),
        chair=clinic["chairs"][0],
    )
    assert replacement.chair_id == session.chair_id
    assert (
        AuditEvent.objects.get(session=session, action="cancelled").reason == "Patient has a fever"
    )


def test_day_of_infusion_states_in_order(booked, make_staff, clinic_day):
    session, _ = booked
    nurse = make_staff("nurse")
    with pytest.raises(InvalidTransition):
        services.complete(session=session, by=nurse)
    with time_machine.travel(at(clinic_day, 8, 50), tick=False):
        services.check_in(session=session, by=nurse)
    with time_machine.travel(at(clinic_day, 9, 10), tick=False):
        services.start_infusion(session=session, by=nurse)
    with time_machine.travel(at(clinic_day, 13), tick=False):
        done = services.complete(session=session, by=nurse)
    assert done.status == "completed"
    assert done.checked_in_at <= done.started_at <= done.completed_at
    actions = list(
        AuditEvent.objects.filter(session=session).order_by("pk").values_list("action", flat=True)
    )
    assert actions == ["booked", "checked_in", "started", "completed"]
    with pytest.raises(InvalidTransition):
        services.cancel(session=session, reason="too late")


def test_rems_drug_needs_the_check_before_starting(clinic, clinic_day, make_patient, make_staff):
    nurse = make_staff("nurse")
    session = services.book_session(
        patient=make_patient(),
        protocol=clinic["protocols"]["natalizumab"],
        dose_number=1,
        start=at(clinic_day, 9),
    )
    with time_machine.travel(at(clinic_day, 8, 55), tick=False):
        services.check_in(session=session, by=nurse)
        with pytest.raises(InvalidTransition, match="TOUCH|REMS"):
            services.start_infusion(session=session, by=nurse)
        services.record_rems_check(session=session, by=nurse)
        assert services.start_infusion(session=session, by=nurse).status == "in_chair"


def test_no_show_only_after_the_start_time(booked):
    session, _ = booked
    with pytest.raises(InvalidTransition):
        services.mark_no_show(session=session)


def test_confirm_twice_is_harmless(booked):
    session, _ = booked
    services.confirm(session=session, actor_label="patient link")
    services.confirm(session=session, actor_label="patient link")
    assert AuditEvent.objects.filter(session=session, action="confirmed").count() == 1
