"""Replying YES to an offer text accepts it (first YES wins); NO declines; YES without an open
offer still means START (opt back in)."""

from __future__ import annotations

import pytest

from scheduling import inbound_sms
from waitlist.dispatcher import run_cycle
from waitlist.models import OfferStatus, WaitlistSettings

pytestmark = pytest.mark.django_db


def test_yes_accepts_the_open_offer(clinic, waitlisted, cancelled_slot, sms_outbox, business_clock):
    a = waitlisted()
    cancelled_slot()
    run_cycle()
    reply = inbound_sms.handle(a.patient.mobile, "Yes")
    offer = a.offers.get()
    assert offer.status == OfferStatus.ACCEPTED and offer.responded_via == "sms"
    assert "you are booked" in reply
    # a repeated YES changes nothing and says booked again
    assert "you are booked" in inbound_sms.handle(a.patient.mobile, "YES")


def test_second_yes_hears_taken(clinic, waitlisted, cancelled_slot, sms_outbox, business_clock):
    conf = WaitlistSettings.load()
    conf.offers_at_once = 2
    conf.save()
    a, b = waitlisted(first_name="A"), waitlisted(first_name="B")
    cancelled_slot()
    run_cycle()
    inbound_sms.handle(a.patient.mobile, "YES")
    reply = inbound_sms.handle(b.patient.mobile, "YES")
    assert "taken" in reply
    assert b.offers.get().status == OfferStatus.TAKEN


def test_no_declines(clinic, waitlisted, cancelled_slot, sms_outbox, business_clock):
    a = waitlisted()
    cancelled_slot()
    run_cycle()
    inbound_sms.handle(a.patient.mobile, "no")
    assert a.offers.get().status == OfferStatus.DECLINED


def test_yes_without_an_offer_is_still_start(make_patient, center):
    from django.utils import timezone

    patient = make_patient(sms_opted_out_at=timezone.now())
    reply = inbound_sms.handle(patient.mobile, "YES")
    patient.refresh_from_db()
    assert patient.sms_opted_out_at is None and "texts again" in reply
