"""The cancel service refuses checked-in, in-chair, completed and past sessions, for everyone;
a missed visit never becomes a cancellation after the fact."""

import datetime as dt

import pytest
import time_machine

from scheduling import services
from scheduling.exceptions import InvalidTransition
from tests.conftest import at

pytestmark = [pytest.mark.postgres, pytest.mark.django_db]


def test_a_checked_in_or_seated_or_completed_session_cannot_be_cancelled(
    book_on, clinic_day, nurse
):
    arrived, seated, done = book_on(13), book_on(13, chair=1), book_on(13, chair=2)
    with time_machine.travel(at(clinic_day, 12, 50), tick=False):
        for s in (arrived, seated, done):
            services.check_in(session=s, by=nurse)
        services.seat(session=seated, by=nurse)
        services.start_infusion(session=done, by=nurse)
        services.complete(session=done, by=nurse)
        for s, state in ((arrived, "checked in"), (seated, "in chair"), (done, "completed")):
            with pytest.raises(InvalidTransition, match=f"is {state}; it cannot be cancelled"):
                services.cancel(session=s, reason="changed her mind", actor_label="patient link")
            s.refresh_from_db()
            assert s.status != "cancelled"


def test_a_past_visit_cannot_be_cancelled(book_on, clinic_day, make_staff):
    session = book_on(9)
    with time_machine.travel(at(clinic_day + dt.timedelta(days=60), 9), tick=False):
        with pytest.raises(InvalidTransition, match="has passed") as exc:
            services.cancel(session=session, reason="late", by=make_staff("front_desk"))
    assert exc.value.code == "state"
    session.refresh_from_db()
    assert session.status == "booked"


def test_a_future_open_session_is_cancelled_with_the_time(book_on, clinic_day):
    session = book_on(9)
    with time_machine.travel(at(clinic_day - dt.timedelta(days=2), 10), tick=False):
        done = services.cancel(session=session, reason="Flu")
    assert done.status == "cancelled"
    assert done.cancelled_at == at(clinic_day - dt.timedelta(days=2), 10)


def test_the_api_answers_409_for_a_cancel_after_check_in(
    book_on, clinic_day, nurse, api_for, make_staff
):
    session = book_on(13)
    desk = api_for(make_staff("front_desk"))
    with time_machine.travel(at(clinic_day, 12, 30), tick=False):
        services.check_in(session=session, by=nurse)
        response = desk.post(f"/api/sessions/{session.pk}/cancel/", {"reason": "x"}, format="json")
    assert response.status_code == 409
    assert response.json()["code"] == "state" and "checked in" in response.json()["detail"]
