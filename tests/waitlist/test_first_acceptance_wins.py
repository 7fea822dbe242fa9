"""Two patients accept the same freed time at the same instant (threads on PostgreSQL, each
with its own connection): exactly one booking, the other gets `taken` and stays listed."""

from __future__ import annotations

import threading

import pytest
from django.db import connection

from scheduling.models import InfusionSession, SessionStatus
from waitlist import services
from waitlist.dispatcher import run_cycle
from waitlist.models import EntryStatus, Offer, OfferStatus, WaitlistSettings

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def _accept_together(offers) -> dict[int, str]:
    barrier = threading.Barrier(len(offers))
    results: dict[int, str] = {}

    def accept(offer):
        try:
            barrier.wait()
            services.accept_offer(offer=offer, via="link")
            results[offer.pk] = "accepted"
        except services.OfferUnavailable as exc:
            results[offer.pk] = exc.code
        finally:
            connection.close()

    threads = [threading.Thread(target=accept, args=(o,)) for o in offers]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    return results


def test_two_acceptances_one_booking(
    clinic, waitlisted, cancelled_slot, sms_outbox, business_clock
):
    conf = WaitlistSettings.load()
    conf.offers_at_once = 2
    conf.save()
    for hour in (7, 9, 11, 13):  # four races, each on its own freed time
        waitlisted(first_name=f"A{hour}")
        waitlisted(first_name=f"B{hour}")
        freed = cancelled_slot(hour=hour)
        run_cycle()
        offers = list(Offer.objects.filter(freed=freed).order_by("pk"))
        assert len(offers) == 2

        results = _accept_together(offers)

        assert sorted(results.values()) == ["accepted", "taken"]
        patients = [o.patient_id for o in offers]
        booked = InfusionSession.objects.filter(
            patient_id__in=patients, status=SessionStatus.BOOKED
        )
        assert booked.count() == 1
        statuses = dict(Offer.objects.filter(freed=freed).values_list("pk", "status"))
        assert sorted(statuses.values()) == [OfferStatus.ACCEPTED, OfferStatus.TAKEN]
        loser = Offer.objects.get(freed=freed, status=OfferStatus.TAKEN)
        assert loser.entry.status == EntryStatus.ACTIVE  # stays on the list
        assert loser.messages.filter(kind="taken").exists()
        winner = Offer.objects.get(freed=freed, status=OfferStatus.ACCEPTED)
        assert winner.booked_session_id == booked.get().pk
        # the loser stays listed but is not in the next race
        services.remove_entry(entry=loser.entry)
