"""Moving a dose moves the later doses with it (or is refused when it would leave them too
soon or outside their window, unless an override reason is given); cancelling dose 1 of an
induction settles dose 2 in the same transaction. Reminders and the due worklist follow."""

import datetime as dt

import pytest

from scheduling import selectors, services
from scheduling.exceptions import SchedulingError, SpacingViolation
from scheduling.models import AuditEvent, InfusionSession, Reminder
from tests.conftest import at

pytestmark = [pytest.mark.postgres, pytest.mark.django_db]


@pytest.fixture
def induction(clinic, clinic_day, make_patient, make_staff):
    """Ocrevus dose 1 on clinic_day 09:00 and dose 2 fourteen days later, booked as a series."""
    desk = make_staff("front_desk")
    series = services.book_series(
        patient=make_patient(),
        protocol=clinic["protocols"]["ocrelizumab_iv"],
        start=at(clinic_day, 9),
        by=desk,
    )
    one, two = InfusionSession.objects.filter(series=series).order_by("dose_number")
    return one, two, desk


def test_moving_dose_one_moves_dose_two_keeping_its_offset(induction, clinic_day):
    one, two, desk = induction
    new_day = clinic_day + dt.timedelta(days=3)  # Monday -> Thursday
    moved = services.reschedule(session=one, start=at(new_day, 10), by=desk, move_series=True)
    two.refresh_from_db()
    assert moved.start == at(new_day, 10)
    assert two.start == at(new_day + dt.timedelta(days=14), 9)  # its own clock time kept
    assert [d.pk for d in moved.moved_with] == [two.pk]
    event = AuditEvent.objects.get(session=two, action="rescheduled")
    assert "Moved with dose 1" in event.reason and event.actor == desk
    # Dose 2's reminders were planned for its new day.
    for r in Reminder.objects.filter(session=two, status="pending", kind="day_before"):
        assert r.due_at.date() <= two.start.date()
        assert r.due_at > at(new_day + dt.timedelta(days=12), 0)


def test_moving_dose_one_alone_past_dose_two_spacing_is_refused(induction, clinic_day):
    """The issue's case: dose 1 from Dec 2 to Dec 14 left dose 2 on Dec 16 without a word."""
    one, two, desk = induction
    late = clinic_day + dt.timedelta(days=11)
    with pytest.raises(SpacingViolation, match="dose 2 stays booked on .* Move the later") as exc:
        services.reschedule(session=one, start=at(late, 9), by=desk)
    assert exc.value.field == "move_series"
    one.refresh_from_db()
    two.refresh_from_db()
    assert one.start == at(clinic_day, 9) and two.start == at(clinic_day + dt.timedelta(days=14), 9)


def test_an_override_reason_lets_dose_one_move_alone(induction, clinic_day):
    one, two, desk = induction
    late = clinic_day + dt.timedelta(days=11)
    services.reschedule(
        session=one, start=at(late, 9), by=desk, override_reason="Neurologist wants dose 2 kept"
    )
    two.refresh_from_db()
    assert two.start == at(clinic_day + dt.timedelta(days=14), 9)
    assert AuditEvent.objects.get(session=one, action="rescheduled").reason == (
        "Neurologist wants dose 2 kept"
    )


def test_a_series_move_that_dose_two_cannot_follow_is_all_or_nothing(induction, clinic_day):
    """The center is closed on dose 2's new day: nothing moves, the answer names dose 2."""
    from scheduling.models import Closure

    one, two, desk = induction
    Closure.objects.create(date=clinic_day + dt.timedelta(days=17), reason="Staff training")
    with pytest.raises(SchedulingError, match="Dose 2 cannot move with it") as exc:
        services.reschedule(
            session=one, start=at(clinic_day + dt.timedelta(days=3), 9), by=desk, move_series=True
        )
    assert exc.value.field == "move_series"
    one.refresh_from_db()
    two.refresh_from_db()
    assert one.start == at(clinic_day, 9) and two.start == at(clinic_day + dt.timedelta(days=14), 9)
    assert not AuditEvent.objects.filter(action="rescheduled").exists()


def test_cancelling_dose_one_cancels_dose_two_in_the_same_step(induction, clinic_day):
    one, two, desk = induction
    done = services.cancel(session=one, reason="Patient moved away", by=desk)
    two.refresh_from_db()
    assert done.status == two.status == "cancelled"
    assert [d.pk for d in done.cancelled_with] == [two.pk]
    assert two.cancel_reason.startswith("Cancelled with dose 1")
    assert not Reminder.objects.filter(
        session__in=[one, two], status="pending", kind__in=["prep", "day_before", "lab_checklist"]
    ).exists()
    # The due worklist sees the patient due for dose 1 again, not for dose 2.
    items = [
        i
        for i in selectors.due_worklist(today=clinic_day, horizon_days=28)
        if i.patient.pk == one.patient_id
    ]
    assert [i.dose_number for i in items] == [1]


def test_the_api_moves_the_series_and_names_what_went_with_it(induction, clinic_day, api_for):
    one, two, desk = induction
    response = api_for(desk).post(
        f"/api/sessions/{one.pk}/reschedule/",
        {"start": at(clinic_day + dt.timedelta(days=2), 9).isoformat(), "move_series": True},
        format="json",
    )
    assert response.status_code == 200, response.json()
    assert [d["id"] for d in response.json()["moved_with"]] == [two.pk]
    assert dt.datetime.fromisoformat(response.json()["moved_with"][0]["start"]) == at(
        clinic_day + dt.timedelta(days=16), 9
    )
    refused = api_for(desk).post(
        f"/api/sessions/{one.pk}/reschedule/",
        {"start": at(clinic_day + dt.timedelta(days=11), 9).isoformat()},
        format="json",
    )
    assert refused.status_code == 400 and "move_series" in refused.json()
    cancelled = api_for(desk).post(
        f"/api/sessions/{one.pk}/cancel/", {"reason": "Stopping treatment"}, format="json"
    )
    assert [d["id"] for d in cancelled.json()["cancelled_with"]] == [two.pk]
