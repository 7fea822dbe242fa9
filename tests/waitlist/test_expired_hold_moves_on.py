"""An offer nobody answers expires when its hold runs out, and the next cycle offers the slot
to the next patient in line. The hold clock stops in quiet hours."""

from __future__ import annotations

import datetime as dt

import pytest

from tests.conftest import TZ
from waitlist.dispatcher import run_cycle
from waitlist.models import Offer, OfferStatus, WaitlistSettings
from waitlist.services.offers import hold_until

pytestmark = pytest.mark.django_db


def test_expired_hold_goes_to_the_next_patient(
    clinic, waitlisted, cancelled_slot, sms_outbox, business_clock, one_at_a_time
):
    hold = WaitlistSettings.load().hold_minutes
    a = waitlisted(first_name="A")
    b = waitlisted(first_name="B")
    freed = cancelled_slot()
    run_cycle()
    first = Offer.objects.get(freed=freed)
    assert first.entry_id == a.pk
    business_clock.shift(dt.timedelta(minutes=hold - 1))
    run_cycle()
    first.refresh_from_db()
    assert first.status == OfferStatus.OFFERED  # still inside its hold

    business_clock.shift(dt.timedelta(minutes=2))
    stats = run_cycle()

    first.refresh_from_db()
    assert first.status == OfferStatus.EXPIRED
    assert stats["holds_expired"] == 1 and stats["offers_made"] == 1
    second = Offer.objects.get(freed=freed, status=OfferStatus.OFFERED)
    assert second.entry_id == b.pk
    assert [m["to"] for m in sms_outbox] == [a.patient.mobile, b.patient.mobile]


def test_the_hold_clock_stops_in_quiet_hours(center):
    day = dt.date(2026, 12, 8)
    made = dt.datetime.combine(day, dt.time(20, 50), tzinfo=TZ)
    visit = dt.datetime.combine(day + dt.timedelta(days=6), dt.time(9), tzinfo=TZ)
    end = hold_until(made, 30, TZ, center, visit)
    assert end == dt.datetime.combine(day + dt.timedelta(days=1), dt.time(9, 20), tzinfo=TZ)


def test_the_hold_never_runs_up_to_the_visit(center):
    made = dt.datetime(2026, 12, 8, 10, 0, tzinfo=TZ)
    visit = made + dt.timedelta(minutes=40)
    assert hold_until(made, 30, TZ, center, visit) == visit - dt.timedelta(minutes=30)
