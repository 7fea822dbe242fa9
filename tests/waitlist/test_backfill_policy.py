"""How freed chair time is offered so that most of it is used again (issue 13): the top three
in priority order at once, first to accept wins; a shorter visit leaves the rest of the time
to be offered again; a patient booked from one offer cannot take a second one."""

from __future__ import annotations

import datetime as dt

import pytest

from tests.conftest import at
from waitlist import services
from waitlist.dispatcher import run_cycle
from waitlist.models import (
    EntryStatus,
    FreedSlot,
    FreedStatus,
    Offer,
    OfferStatus,
    WaitlistSettings,
)

pytestmark = pytest.mark.django_db


def test_the_top_three_are_offered_at_once_in_priority_order(
    clinic, waitlisted, cancelled_slot, sms_outbox, business_clock
):
    conf = WaitlistSettings.load()
    assert conf.offers_at_once == 3 and conf.max_offers_per_slot >= 30
    entries = [waitlisted(first_name=name) for name in "ABCD"]  # longest waiting first
    freed = cancelled_slot()

    stats = run_cycle()

    offers = list(Offer.objects.filter(freed=freed).order_by("rank"))
    assert stats["offers_made"] == 3
    assert [(o.entry_id, o.rank) for o in offers] == [
        (e.pk, i) for i, e in enumerate(entries[:3], 1)
    ]
    assert not Offer.objects.filter(entry=entries[3]).exists()
    assert sorted(m["to"] for m in sms_outbox) == sorted(e.patient.mobile for e in entries[:3])

    business_clock.shift(dt.timedelta(minutes=5))
    services.accept_offer(offer=offers[2], via="sms")  # the third answers first: it wins
    run_cycle()

    statuses = [Offer.objects.get(pk=o.pk).status for o in offers]
    assert statuses == [OfferStatus.TAKEN, OfferStatus.TAKEN, OfferStatus.ACCEPTED]
    assert [_status(e) for e in entries] == ["active", "active", "booked", "active"]
    assert not Offer.objects.filter(entry=entries[3]).exists()  # nothing left to offer


def _status(entry) -> str:
    entry.refresh_from_db()
    return entry.status


def test_a_shorter_visit_fills_part_and_the_rest_is_offered_again(
    clinic, waitlisted, cancelled_slot, sms_outbox, visit_day, business_clock
):
    sc = "ocrelizumab_hyaluronidase_sc"  # 1 h 55 in the chair, turnover included
    first = waitlisted(first_name="First", protocol=sc)
    second = waitlisted(first_name="Second", protocol=sc)
    freed = cancelled_slot(protocol="ocrelizumab_iv")  # 09:00-13:15 on the chair
    assert freed.end == at(visit_day, 13, 15)
    run_cycle()
    offer = Offer.objects.get(freed=freed, entry=first)
    assert offer.start == at(visit_day, 9)

    booked = services.accept_offer(offer=offer, via="link").booked_session

    assert (booked.start, booked.chair_release_at) == (at(visit_day, 9), at(visit_day, 10, 55))
    freed.refresh_from_db()
    assert freed.status == FreedStatus.FILLED
    (rest,) = FreedSlot.objects.filter(parent=freed)
    assert (rest.chair_id, rest.start, rest.end, rest.reason, rest.status) == (
        freed.chair_id,
        at(visit_day, 10, 55),
        at(visit_day, 13, 15),
        "remainder",
        FreedStatus.OPEN,
    )
    assert Offer.objects.get(freed=freed, entry=second).status == OfferStatus.TAKEN

    run_cycle()

    again = Offer.objects.get(freed=rest)
    assert (again.entry_id, again.start, again.status) == (
        second.pk,
        at(visit_day, 10, 55),
        OfferStatus.OFFERED,
    )
    services.accept_offer(offer=again, via="link")
    rest.refresh_from_db()
    assert rest.status == FreedStatus.FILLED
    # 12:50-13:15 is left: too short for any visit, not offered.
    assert not FreedSlot.objects.filter(parent=rest).exists()


def test_time_filled_end_to_end_leaves_no_remainder(
    clinic, waitlisted, cancelled_slot, sms_outbox, business_clock
):
    entry = waitlisted()  # ocrelizumab IV dose 1, the same visit length as the one cancelled
    freed = cancelled_slot()
    run_cycle()
    services.accept_offer(offer=Offer.objects.get(freed=freed, entry=entry), via="link")
    assert not FreedSlot.objects.filter(parent=freed).exists()


def test_a_patient_booked_from_one_offer_cannot_take_a_second(
    clinic, waitlisted, cancelled_slot, sms_outbox, visit_day, business_clock
):
    entry = waitlisted(first_name="Both")
    early = cancelled_slot(hour=7)
    late = cancelled_slot(hour=13)
    run_cycle()
    early_offer = Offer.objects.get(freed=early, entry=entry)
    late_offer = Offer.objects.get(freed=late, entry=entry)

    booked = services.accept_offer(offer=late_offer, via="link").booked_session
    with pytest.raises(services.OfferUnavailable) as exc:
        services.accept_offer(offer=early_offer, via="link")

    assert exc.value.code == "withdrawn"
    booked.refresh_from_db()
    assert booked.start == at(visit_day, 13)  # not moved again: the 13:00 time stays filled
    early.refresh_from_db()
    assert early.status == FreedStatus.OPEN
    early_offer.refresh_from_db()
    assert early_offer.status == OfferStatus.WITHDRAWN
    entry.refresh_from_db()
    assert entry.status == EntryStatus.BOOKED


def test_the_cycle_withdraws_offers_of_a_patient_already_booked(
    clinic, waitlisted, cancelled_slot, sms_outbox, business_clock
):
    entry = waitlisted(first_name="Both")
    nextone = waitlisted(first_name="Next")
    early = cancelled_slot(hour=7)
    late = cancelled_slot(hour=13)
    conf = WaitlistSettings.load()
    conf.offers_at_once = 1
    conf.save()
    run_cycle()
    services.accept_offer(offer=Offer.objects.get(freed=late, entry=entry), via="link")

    stats = run_cycle()

    assert stats["ended_withdrawn"] == 1
    assert Offer.objects.get(freed=early, entry=entry).status == OfferStatus.WITHDRAWN
    # the slot goes to the next patient in the same cycle, not after the hold ran out
    assert Offer.objects.get(freed=early, entry=nextone).status == OfferStatus.OFFERED
