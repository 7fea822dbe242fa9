"""Accepting books the slot: a new booking, or the patient's later booking moved (with its
series) through the booking services, its reminders re-timed; the entry ends as booked."""

from __future__ import annotations

import datetime as dt

import pytest

from scheduling import services as booking
from scheduling.models import InfusionSession, Reminder, ReminderStatus, SessionStatus
from tests.conftest import at
from waitlist import services
from waitlist.dispatcher import run_cycle
from waitlist.models import EntryStatus, FreedStatus, Offer, OfferStatus, WaitlistEvent

pytestmark = pytest.mark.django_db


def test_accept_without_a_booking_books_the_freed_time(
    clinic, waitlisted, cancelled_slot, sms_outbox, visit_day, business_clock
):
    entry = waitlisted()
    freed = cancelled_slot()
    run_cycle()
    offer = Offer.objects.get(freed=freed)

    services.accept_offer(offer=offer, via="link")

    offer.refresh_from_db()
    freed.refresh_from_db()
    entry.refresh_from_db()
    assert offer.status == OfferStatus.ACCEPTED
    session = offer.booked_session
    assert (session.patient_id, session.start, session.chair_id) == (
        entry.patient_id,
        at(visit_day, 9),
        freed.chair_id,
    )
    assert session.status == SessionStatus.BOOKED
    assert freed.status == FreedStatus.FILLED and freed.filled_session_id == session.pk
    assert entry.status == EntryStatus.BOOKED
    assert Reminder.objects.filter(session=session, status=ReminderStatus.PENDING).exists()
    assert WaitlistEvent.objects.filter(offer=offer, action="offer_accepted").exists()


def test_accept_moves_the_later_booking_and_its_series(
    clinic, waitlisted, cancelled_slot, make_patient, visit_day, business_clock
):
    ocr = clinic["protocols"]["ocrelizumab_iv"]
    patient = make_patient(first_name="Eager")
    later_day = visit_day + dt.timedelta(days=14)
    series = booking.book_series(patient=patient, protocol=ocr, start=at(later_day, 10))
    first, second = series.sessions.order_by("dose_number")
    old_reminders = set(
        Reminder.objects.filter(session=first, status=ReminderStatus.PENDING).values_list(
            "pk", flat=True
        )
    )
    entry = waitlisted(patient=patient)
    freed = cancelled_slot()
    run_cycle()
    offer = Offer.objects.get(freed=freed)
    assert offer.session_id == first.pk

    services.accept_offer(offer=offer, via="sms")

    first.refresh_from_db()
    second.refresh_from_db()
    assert first.start == at(visit_day, 9) and first.chair_id == freed.chair_id
    # dose 2 follows by the same number of days, at its own clock time
    assert second.start == at(visit_day + dt.timedelta(days=14), 10)
    assert not Reminder.objects.filter(pk__in=old_reminders, status=ReminderStatus.PENDING).exists()
    assert InfusionSession.objects.filter(patient=patient, status=SessionStatus.BOOKED).count() == 2
    entry.refresh_from_db()
    assert entry.status == EntryStatus.BOOKED
    # the patient's old time is freed chair time in its turn (the next backfill)
    assert freed.__class__.objects.filter(source_session=first, reason="moved").exists()


def test_decline_offers_it_to_the_next_patient(
    clinic, waitlisted, cancelled_slot, sms_outbox, business_clock, one_at_a_time
):
    a = waitlisted(first_name="A")
    b = waitlisted(first_name="B")
    freed = cancelled_slot()
    run_cycle()
    first = Offer.objects.get(freed=freed)
    assert first.entry_id == a.pk
    services.decline_offer(offer=first, via="link")
    run_cycle()
    second = Offer.objects.filter(freed=freed).exclude(pk=first.pk).get()
    assert second.entry_id == b.pk and second.status == OfferStatus.OFFERED
    a.refresh_from_db()
    assert a.status == EntryStatus.ACTIVE  # declining once keeps the place on the list


def test_decline_for_good_ends_the_entry(clinic, waitlisted, cancelled_slot, business_clock):
    a = waitlisted()
    cancelled_slot()
    run_cycle()
    services.decline_offer(offer=a.offers.get(), for_good=True)
    a.refresh_from_db()
    assert a.status == EntryStatus.DECLINED


def test_an_answered_offer_cannot_be_accepted_again(
    clinic, waitlisted, cancelled_slot, business_clock
):
    a = waitlisted()
    cancelled_slot()
    run_cycle()
    offer = a.offers.get()
    services.decline_offer(offer=offer)
    with pytest.raises(services.OfferUnavailable) as exc:
        services.accept_offer(offer=offer)
    assert exc.value.code == "declined"


def test_the_desk_fills_by_phone_and_the_offers_are_withdrawn(
    clinic, waitlisted, cancelled_slot, make_staff, business_clock
):
    desk = make_staff("front_desk")
    a = waitlisted(first_name="A")
    freed = cancelled_slot()
    run_cycle()
    offer = a.offers.get()
    services.withdraw_slot(freed=freed, by=desk)
    offer.refresh_from_db()
    freed.refresh_from_db()
    assert offer.status == OfferStatus.WITHDRAWN
    assert freed.status == FreedStatus.FILLED_ELSEWHERE
    with pytest.raises(services.OfferUnavailable):
        services.accept_offer(offer=offer)


def test_fill_by_phone_books_a_waitlisted_patient(
    clinic, waitlisted, cancelled_slot, make_staff, visit_day, business_clock
):
    desk = make_staff("front_desk")
    a = waitlisted(first_name="A")
    b = waitlisted(first_name="B")
    freed = cancelled_slot()
    run_cycle()  # offered to A by text
    offer = services.fill_by_phone(freed=freed, entry=b, by=desk)
    assert offer.status == OfferStatus.ACCEPTED and offer.booked_session.start == at(visit_day, 9)
    assert a.offers.get().status == OfferStatus.TAKEN
