"""The infusion starts only after check-in (and the REMS check for REMS drugs), completes only
after it started; each step stores its real time and who did it (the analytics read them)."""

import datetime as dt

import pytest
import time_machine

from scheduling import services
from scheduling.exceptions import InvalidTransition, SchedulingError
from scheduling.models import AuditEvent
from tests.conftest import at

pytestmark = [pytest.mark.postgres, pytest.mark.django_db]


def test_tomorrows_infusion_cannot_be_run_from_todays_roster(book_on, clinic_day, nurse):
    """The issue's Lemtrada case: check in, REMS, start and complete tomorrow's session today."""
    session = book_on(9, protocol="alemtuzumab", chair=6)  # B1: Lemtrada needs a bed
    with time_machine.travel(at(clinic_day - dt.timedelta(days=1), 10), tick=False):
        for step in (services.check_in, services.record_rems_check):
            with pytest.raises(InvalidTransition, match="only on the day"):
                step(session=session, by=nurse)
        with pytest.raises(InvalidTransition, match="not been checked in"):
            services.start_infusion(session=session, by=nurse)
        with pytest.raises(InvalidTransition, match="start the infusion before completing"):
            services.complete(session=session, by=nurse)
    session.refresh_from_db()
    assert session.status == "booked"
    assert session.rems_checked_at is None and session.completed_at is None


def test_every_step_stores_its_real_time_and_who(book_on, clinic_day, nurse, make_staff):
    desk = make_staff("front_desk")
    session = book_on(9)
    with time_machine.travel(at(clinic_day, 18), tick=False):
        # Charted at the end of the day, each at the time it really happened.
        services.check_in(session=session, by=desk, at=at(clinic_day, 8, 50))
        services.seat(session=session, by=nurse, at=at(clinic_day, 9, 0))
        services.start_infusion(session=session, by=nurse, at=at(clinic_day, 9, 35))
        services.end_infusion(session=session, by=nurse, at=at(clinic_day, 12, 5))
        done = services.complete(session=session, by=nurse, at=at(clinic_day, 13, 10))
    assert done.status == "completed"
    assert (done.checked_in_at, done.checked_in_by) == (at(clinic_day, 8, 50), desk)
    assert (done.in_chair_at, done.in_chair_by) == (at(clinic_day, 9, 0), nurse)
    assert (done.started_at, done.started_by) == (at(clinic_day, 9, 35), nurse)
    assert (done.infusion_ended_at, done.infusion_ended_by) == (at(clinic_day, 12, 5), nurse)
    assert (done.completed_at, done.completed_by) == (at(clinic_day, 13, 10), nurse)
    actions = list(
        AuditEvent.objects.filter(session=session).order_by("pk").values_list("action", flat=True)
    )
    assert actions == ["booked", "checked_in", "seated", "started", "infusion_ended", "completed"]


def test_steps_cannot_be_charted_out_of_order(book_on, clinic_day, nurse):
    session = book_on(9)
    with time_machine.travel(at(clinic_day, 12), tick=False):
        services.check_in(session=session, by=nurse, at=at(clinic_day, 9, 0))
        with pytest.raises(SchedulingError, match="before the patient arrived"):
            services.start_infusion(session=session, by=nurse, at=at(clinic_day, 8, 30))
        services.start_infusion(session=session, by=nurse, at=at(clinic_day, 9, 20))
        with pytest.raises(SchedulingError, match="before the patient started"):
            services.complete(session=session, by=nurse, at=at(clinic_day, 9, 10))


def test_start_seats_the_patient_when_nobody_did(book_on, clinic_day, nurse):
    session = book_on(9)
    with time_machine.travel(at(clinic_day, 8, 55), tick=False):
        services.check_in(session=session, by=nurse)
    with time_machine.travel(at(clinic_day, 9, 5), tick=False):
        started = services.start_infusion(session=session, by=nurse)
    assert started.status == "in_chair"
    assert started.in_chair_at == started.started_at == at(clinic_day, 9, 5)


def test_a_rems_drug_needs_the_check_before_the_start(book_on, clinic_day, nurse):
    session = book_on(9, protocol="natalizumab")
    with time_machine.travel(at(clinic_day, 8, 50), tick=False):
        services.check_in(session=session, by=nurse)
        with pytest.raises(InvalidTransition, match="TOUCH") as exc:
            services.start_infusion(session=session, by=nurse)
        assert exc.value.field == "rems"
        services.record_rems_check(session=session, by=nurse)
        assert services.start_infusion(session=session, by=nurse).started_at is not None


def test_the_api_refuses_completion_before_start_with_409(book_on, clinic_day, nurse_api):
    session = book_on(9)
    with time_machine.travel(at(clinic_day, 8, 50), tick=False):
        assert nurse_api.post(f"/api/sessions/{session.pk}/check-in/").status_code == 200
        refused = nurse_api.post(f"/api/sessions/{session.pk}/complete/")
    assert refused.status_code == 409
    assert refused.json()["code"] == "state"
    assert "start the infusion before completing" in refused.json()["detail"]
    with time_machine.travel(at(clinic_day, 10), tick=False):
        future = nurse_api.post(
            f"/api/sessions/{session.pk}/start/",
            {"at": at(clinic_day, 11).isoformat()},
            format="json",
        )
    assert future.status_code == 400 and "at" in future.json()
