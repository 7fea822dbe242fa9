"""Check-in only on the session's local day, from the center's check-in time before the start;
the real time and who did it are stored."""

import datetime as dt

import pytest
import time_machine

from scheduling import services
from scheduling.exceptions import InvalidTransition, SchedulingError
from scheduling.models import AuditEvent, CenterSettings
from tests.conftest import at

pytestmark = [pytest.mark.postgres, pytest.mark.django_db]


def test_tomorrows_session_cannot_be_checked_in_today(book_on, clinic_day, nurse):
    session = book_on(9)
    with time_machine.travel(at(clinic_day - dt.timedelta(days=1), 9), tick=False):
        with pytest.raises(InvalidTransition, match="only on the day of their session") as exc:
            services.check_in(session=session, by=nurse)
    assert exc.value.code == "state"
    session.refresh_from_db()
    assert session.status == "booked" and session.checked_in_at is None


def test_yesterdays_session_cannot_be_checked_in(book_on, clinic_day, nurse):
    session = book_on(9)
    with time_machine.travel(at(clinic_day + dt.timedelta(days=1), 8), tick=False):
        with pytest.raises(InvalidTransition, match="was on"):
            services.check_in(session=session, by=nurse)


def test_check_in_opens_the_configured_time_before_the_start(book_on, clinic_day, nurse):
    CenterSettings.objects.update(check_in_opens_minutes=60)
    session = book_on(14)
    with time_machine.travel(at(clinic_day, 12, 59), tick=False):
        with pytest.raises(InvalidTransition, match="opens at 13:00"):
            services.check_in(session=session, by=nurse)
    with time_machine.travel(at(clinic_day, 13, 0), tick=False):
        done = services.check_in(session=session, by=nurse)
    assert done.status == "checked_in"
    assert done.checked_in_at == at(clinic_day, 13) and done.checked_in_by == nurse
    event = AuditEvent.objects.get(session=session, action="checked_in")
    assert event.actor == nurse
    assert dt.datetime.fromisoformat(event.after["checked_in_at"]) == at(clinic_day, 13)


def test_late_charting_records_the_real_arrival(book_on, clinic_day, nurse):
    session, other = book_on(9), book_on(10, chair=1)
    with time_machine.travel(at(clinic_day, 15), tick=False):
        done = services.check_in(session=session, by=nurse, at=at(clinic_day, 8, 40))
        assert done.checked_in_at == at(clinic_day, 8, 40)
        # Never in the future, never on another day (a bad request, 400).
        with pytest.raises(SchedulingError, match="future") as future:
            services.check_in(session=other, by=nurse, at=at(clinic_day, 16))
        assert not isinstance(future.value, InvalidTransition)
        with pytest.raises(SchedulingError, match="not on the session's day"):
            services.check_in(session=other, by=nurse, at=at(clinic_day - dt.timedelta(days=1), 9))


def test_checking_in_twice_changes_nothing(book_on, clinic_day, nurse):
    session = book_on(9)
    with time_machine.travel(at(clinic_day, 8, 30), tick=False):
        services.check_in(session=session, by=nurse)
    with time_machine.travel(at(clinic_day, 8, 35), tick=False):
        again = services.check_in(session=session, by=nurse)
    assert again.checked_in_at == at(clinic_day, 8, 30)
    assert AuditEvent.objects.filter(session=session, action="checked_in").count() == 1


def test_the_api_answers_409_with_a_sentence(book_on, clinic_day, nurse_api):
    session = book_on(9)
    response = nurse_api.post(f"/api/sessions/{session.pk}/check-in/")
    assert response.status_code == 409
    body = response.json()
    assert body["code"] == "state"
    assert "only on the day of their session" in body["detail"]
    with time_machine.travel(at(clinic_day, 8, 45), tick=False):
        ok = nurse_api.post(f"/api/sessions/{session.pk}/check-in/")
    assert ok.status_code == 200 and ok.json()["status"] == "checked_in"
