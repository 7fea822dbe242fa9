"""Nothing is offered or sent in the patient's quiet hours (the slot waits for the morning),
nothing is texted after STOP (the offer goes to the next patient), and the daily text cap is
honoured unless offers are a configured exception."""

from __future__ import annotations

import datetime as dt

import pytest

from scheduling import inbound_sms
from waitlist.dispatcher import run_cycle
from waitlist.models import MessageStatus, Offer, OfferMessage, OfferStatus, WaitlistSettings

pytestmark = pytest.mark.django_db


def test_nothing_is_offered_at_night_then_the_morning_offers_it(
    clinic, waitlisted, cancelled_slot, sms_outbox, business_clock
):
    a = waitlisted()
    business_clock.shift(dt.timedelta(hours=12))  # Tuesday 22:00 local: quiet
    freed = cancelled_slot()
    stats = run_cycle()
    assert stats["offers_made"] == 0 and sms_outbox == []
    assert not Offer.objects.filter(freed=freed).exists()

    business_clock.shift(dt.timedelta(hours=11, minutes=5))  # Wednesday 09:05
    run_cycle()
    assert a.offers.get().status == OfferStatus.OFFERED
    assert len(sms_outbox) == 1


def test_a_pending_offer_text_waits_through_quiet_hours(
    clinic, waitlisted, cancelled_slot, sms_outbox, business_clock
):
    from waitlist.services import make_offers

    a = waitlisted()
    freed = cancelled_slot()
    business_clock.shift(dt.timedelta(hours=10, minutes=55))  # 20:55
    make_offers(freed)  # offered, but the text did not go out before 21:00
    business_clock.shift(dt.timedelta(minutes=10))
    run_cycle()
    message = OfferMessage.objects.get(offer__entry=a)
    assert message.status == MessageStatus.PENDING and sms_outbox == []
    assert a.offers.get().status == OfferStatus.OFFERED  # its hold runs on in the morning
    business_clock.shift(dt.timedelta(hours=12))  # 09:05
    run_cycle()
    message.refresh_from_db()
    assert message.status == MessageStatus.SENT and len(sms_outbox) == 1


def test_after_stop_nothing_is_texted_and_the_next_patient_is_offered(
    clinic, waitlisted, cancelled_slot, sms_outbox, business_clock
):
    from waitlist.services import make_offers

    a = waitlisted(first_name="A")
    b = waitlisted(first_name="B")
    freed = cancelled_slot()
    make_offers(freed)
    inbound_sms.handle(a.patient.mobile, "STOP")
    run_cycle()  # A's text is skipped, A's offer withdrawn
    run_cycle()  # the slot goes to B
    offer_a = a.offers.get()
    assert offer_a.status == OfferStatus.WITHDRAWN
    assert offer_a.messages.get().status == MessageStatus.SKIPPED
    assert [m["to"] for m in sms_outbox] == [b.patient.mobile]
    assert b.offers.get().status == OfferStatus.OFFERED


def test_the_text_cap_sends_email_instead_when_offers_are_not_an_exception(
    clinic, waitlisted, cancelled_slot, sms_outbox, business_clock, mailoutbox
):
    from django.utils import timezone

    from scheduling.models import Channel, Reminder, ReminderKind, ReminderStatus

    conf = WaitlistSettings.load()
    conf.offer_exempt_from_text_cap = False
    conf.save()
    a = waitlisted()
    # the patient already had today's automated text (a day-before reminder of some visit)
    leaving = cancelled_slot()
    Reminder.objects.create(
        session=leaving.source_session,
        kind=ReminderKind.DAY_BEFORE,
        channel=Channel.SMS,
        due_at=timezone.now(),
        status=ReminderStatus.SENT,
        sent_at=timezone.now(),
    )
    leaving.source_session.patient = a.patient
    type(leaving.source_session).objects.filter(pk=leaving.source_session_id).update(
        patient=a.patient
    )
    leaving.source_patient_id = None
    leaving.save()
    run_cycle()
    assert sms_outbox == []
    assert len(mailoutbox) == 1 and mailoutbox[0].to == [a.patient.email]


def test_the_taken_notice_keeps_to_the_text_cap_when_offers_are_not_an_exception(
    clinic, waitlisted, cancelled_slot, sms_outbox, business_clock, mailoutbox
):
    from waitlist import services

    conf = WaitlistSettings.load()
    conf.offer_exempt_from_text_cap = False
    conf.save()
    a = waitlisted(first_name="A")
    b = waitlisted(first_name="B")
    freed = cancelled_slot()
    run_cycle()  # both offered at once: each gets today's one automated text
    assert sorted(m["to"] for m in sms_outbox) == sorted([a.patient.mobile, b.patient.mobile])

    services.accept_offer(offer=Offer.objects.get(freed=freed, entry=a), via="link")
    run_cycle()

    assert len(sms_outbox) == 2  # no second text to B the same day
    taken = OfferMessage.objects.get(offer__entry=b, kind="taken")
    assert (taken.status, taken.channel) == (MessageStatus.SENT, "email")
    assert [m.to for m in mailoutbox] == [[b.patient.email]]
