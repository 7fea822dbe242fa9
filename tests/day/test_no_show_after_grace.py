"""No-show only once the start plus the center's grace period has passed."""

import datetime as dt

import pytest
import time_machine

from scheduling import services
from scheduling.exceptions import InvalidTransition
from scheduling.models import CenterSettings, Reminder
from tests.conftest import at

pytestmark = [pytest.mark.postgres, pytest.mark.django_db]


def test_no_show_waits_for_the_grace_period(book_on, clinic_day, nurse):
    CenterSettings.objects.update(no_show_grace_minutes=45)
    session = book_on(9)
    with time_machine.travel(at(clinic_day, 9, 44), tick=False):
        with pytest.raises(InvalidTransition, match="from Mon .* 09:45") as exc:
            services.mark_no_show(session=session, by=nurse)
    assert exc.value.code == "state"
    with time_machine.travel(at(clinic_day, 9, 45), tick=False):
        done = services.mark_no_show(session=session, by=nurse)
    assert done.status == "no_show"
    assert (done.no_show_at, done.no_show_by) == (at(clinic_day, 9, 45), nurse)
    assert not Reminder.objects.filter(session=session, status="pending").exists()


def test_a_forgotten_no_show_can_be_charted_the_next_morning(book_on, clinic_day, nurse):
    session = book_on(9)
    with time_machine.travel(at(clinic_day + dt.timedelta(days=1), 8), tick=False):
        done = services.mark_no_show(session=session, by=nurse, at=at(clinic_day, 10))
    assert done.no_show_at == at(clinic_day, 10)


def test_an_arrived_patient_is_no_no_show(book_on, clinic_day, nurse):
    session = book_on(9)
    with time_machine.travel(at(clinic_day, 8, 50), tick=False):
        services.check_in(session=session, by=nurse)
    with time_machine.travel(at(clinic_day, 11), tick=False):
        with pytest.raises(InvalidTransition, match="checked in"):
            services.mark_no_show(session=session, by=nurse)
