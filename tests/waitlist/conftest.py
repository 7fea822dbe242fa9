"""Waitlist fixtures: a clock in business hours, a center, a booking to cancel, entries."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine

from tests.api.conftest import client_as, desk, nurse_api  # noqa: F401  (API clients by role)
from tests.conftest import TZ, at, next_weekday
from tests.orders.conftest import covered, give_authorization, give_order  # noqa: F401
from tests.reminders.conftest import smtp_server  # noqa: F401  (the real worker's env)
from tests.reminders.test_worker import broker, start_worker, worker_env  # noqa: F401


@pytest.fixture
def business_clock():
    """Wall clock on a Tuesday 10:00 New York a few days from now, ticking: offers are made
    outside quiet hours. Yields the traveller (shift it to move the clock)."""
    today = dt.datetime.now(TZ).date()
    day = next_weekday(today, 1)
    with time_machine.travel(dt.datetime.combine(day, dt.time(10), tzinfo=TZ), tick=True) as t:
        yield t


@pytest.fixture
def visit_day(business_clock):
    """The Monday 13 days after the business clock's Tuesday: far enough for 24 h notice."""
    from django.utils import timezone

    return next_weekday(timezone.now().astimezone(TZ).date() + dt.timedelta(days=7), 0)


@pytest.fixture
def one_at_a_time(db):
    """The center offers a freed slot to one patient at a time (the default is the top three
    at once): for stories about who is next in line."""
    from waitlist.models import WaitlistSettings

    conf = WaitlistSettings.load()
    conf.offers_at_once = 1
    conf.save()
    return conf


@pytest.fixture
def sms_outbox(settings):
    from scheduling.notifications.sms import LocmemSmsBackend

    settings.SMS_BACKEND = "locmem"
    LocmemSmsBackend.outbox = []
    return LocmemSmsBackend.outbox


@pytest.fixture
def waitlisted(clinic, make_patient, visit_day):
    """make(first_name=..., days_overdue=..., **entry fields) -> a waitlisted patient's entry
    for ocrelizumab dose 1 (no booking yet) unless told otherwise."""
    from waitlist import services

    def make(*, protocol="ocrelizumab_iv", dose_number=1, patient=None, **kw):
        names = {k: kw.pop(k) for k in ("first_name", "last_name") if k in kw}
        patient = patient or make_patient(**{"first_name": "Wait", **names})
        fields = dict(
            earliest=visit_day - dt.timedelta(days=10),
            latest=visit_day + dt.timedelta(days=30),
            min_notice_hours=24,
            channel="sms",
        )
        fields.update(kw)
        return services.add_entry(
            patient=patient,
            protocol=clinic["protocols"][protocol],
            dose_number=dose_number,
            **fields,
        )

    return make


@pytest.fixture
def cancelled_slot(clinic, make_patient, visit_day):
    """Book someone at 09:00 on the visit day and cancel: the freed chair time."""
    from scheduling import services
    from waitlist.models import FreedSlot

    def make(hour=9, protocol="ocrelizumab_iv", patient=None):
        session = services.book_session(
            patient=patient or make_patient(first_name="Leaving"),
            protocol=clinic["protocols"][protocol],
            dose_number=1,
            start=at(visit_day, hour),
        )
        services.cancel(session=session, reason="patient unwell")
        return FreedSlot.objects.get(source_session=session)

    return make
