"""The waitlist through the real parts: a Celery worker process on the real Redis and
PostgreSQL, the file SMS backend. A cancel is offered to the right patient within one
dispatcher cycle; a hold that runs out moves the slot to the next patient; YES books it.

The worker runs on the real clock, so quiet hours are switched off for these tests (the
quiet-hours rules are tested at chosen clock times in test_quiet_hours_and_stop.py).
"""

from __future__ import annotations

import datetime as dt
import time

import pytest
from django.utils import timezone

from scheduling import inbound_sms
from scheduling import services as booking
from scheduling.models import SessionStatus
from scheduling.notifications.sms import read_file_messages
from tests.conftest import at
from waitlist import services
from waitlist.models import FreedSlot, Offer, OfferStatus

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.redis,
    pytest.mark.celery_worker,
    pytest.mark.django_db(transaction=True),
    # The worker process runs production settings: order and authorization rules on.
    pytest.mark.treatment_orders,
]

# One dispatcher cycle must be done well within this (beat runs one a minute).
CYCLE_SECONDS = 30


def cycle(broker) -> None:
    """What beat does every minute."""
    broker.send_task("waitlist.tasks.dispatch_waitlist")


def wait_for(predicate, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.25)
    return predicate()


@pytest.fixture
def quiet_off(center):
    center.quiet_hours_start = center.quiet_hours_end = dt.time(0)
    center.save()
    return center


def texts(worker_env, to):
    return [m for m in read_file_messages(worker_env["SMS_FILE_PATH"]) if m["to"] == to]


def test_cancel_offer_expire_next_yes_through_a_real_worker(
    clinic,
    clinic_day,
    make_patient,
    quiet_off,
    start_worker,
    broker,
    worker_env,
    covered,
    one_at_a_time,
):
    ocr = clinic["protocols"]["ocrelizumab_iv"]
    window = dict(
        earliest=clinic_day - dt.timedelta(days=3),
        latest=clinic_day + dt.timedelta(days=20),
        min_notice_hours=24,
        channel="sms",
    )

    def patient(name):
        p = make_patient(first_name=name)
        covered(p, "ocrelizumab_iv")  # an order and an authorization, as in production
        return p

    first = services.add_entry(patient=patient("First"), protocol=ocr, dose_number=1, **window)
    second = services.add_entry(patient=patient("Second"), protocol=ocr, dose_number=1, **window)
    # Someone waitlisted for afternoons only must not be offered a morning.
    services.add_entry(
        patient=patient("Afternoon"),
        protocol=ocr,
        dose_number=1,
        windows=[{"weekdays": [0, 1, 2, 3, 4], "start": "15:00", "end": "19:00"}],
        **window,
    )
    start_worker()
    leaving = booking.book_session(
        patient=patient("Leaving"),
        protocol=ocr,
        dose_number=1,
        start=at(clinic_day, 9),
    )
    booking.cancel(session=leaving, reason="patient unwell")
    freed = FreedSlot.objects.get(source_session=leaving)

    began = time.monotonic()
    cycle(broker)
    assert wait_for(lambda: texts(worker_env, first.patient.mobile), CYCLE_SECONDS)
    took = time.monotonic() - began
    offer = Offer.objects.get(freed=freed)
    assert offer.entry_id == first.pk and offer.status == OfferStatus.OFFERED
    assert offer.start == at(clinic_day, 9)
    (text,) = texts(worker_env, first.patient.mobile)
    assert "YES" in text["body"] and "/p/o/" in text["body"]
    print(f"offered {took:.1f} s after the cycle was queued")

    # Nobody answers: the hold runs out (moved to the past here), the next cycle offers it on.
    Offer.objects.filter(pk=offer.pk).update(hold_until=timezone.now() - dt.timedelta(seconds=1))
    cycle(broker)
    assert wait_for(lambda: texts(worker_env, second.patient.mobile), CYCLE_SECONDS)
    offer.refresh_from_db()
    assert offer.status == OfferStatus.EXPIRED
    nxt = Offer.objects.get(freed=freed, status=OfferStatus.OFFERED)
    assert nxt.entry_id == second.pk

    # The second patient replies YES: booked into the freed time.
    reply = inbound_sms.handle(second.patient.mobile, "YES")
    assert "you are booked" in reply
    nxt.refresh_from_db()
    assert nxt.status == OfferStatus.ACCEPTED
    assert nxt.booked_session.status == SessionStatus.BOOKED
    assert nxt.booked_session.start == at(clinic_day, 9)
    # The afternoon-only patient never heard anything; nobody got two offer texts.
    all_texts = read_file_messages(worker_env["SMS_FILE_PATH"])
    offer_texts = [m for m in all_texts if "/p/o/" in m["body"]]
    assert sorted(m["to"] for m in offer_texts) == sorted(
        [first.patient.mobile, second.patient.mobile]
    )
