"""A cancel frees chair time; the next dispatcher cycle offers it to the patient first in
clinical priority who fits (overdue first, then closest to due, then longest waiting)."""

from __future__ import annotations

import datetime as dt

import pytest

from scheduling import services as booking
from tests.conftest import at
from waitlist.dispatcher import run_cycle
from waitlist.models import FreedSlot, FreedStatus, Offer, OfferStatus

pytestmark = pytest.mark.django_db


def _given(patient, protocol, day, chair):
    booking.record_past_dose(
        patient=patient, protocol=protocol, dose_number=1, start=at(day, 9), chair=chair
    )


def test_cancel_records_the_freed_chair_time(cancelled_slot, visit_day):
    freed = cancelled_slot()
    assert freed.status == FreedStatus.OPEN
    assert freed.start == at(visit_day, 9)
    assert freed.end > freed.start
    assert freed.reason == "cancelled"


def test_a_move_frees_the_old_time(clinic, make_patient, visit_day, business_clock):
    session = booking.book_session(
        patient=make_patient(),
        protocol=clinic["protocols"]["ocrelizumab_iv"],
        dose_number=1,
        start=at(visit_day, 9),
    )
    booking.reschedule(session=session, start=at(visit_day, 13))
    freed = FreedSlot.objects.get(source_session=session)
    assert (freed.start, freed.reason) == (at(visit_day, 9), "moved")


def test_a_cancel_that_fails_records_nothing(clinic, make_patient, visit_day, business_clock):
    session = booking.book_session(
        patient=make_patient(),
        protocol=clinic["protocols"]["ocrelizumab_iv"],
        dose_number=1,
        start=at(visit_day, 9),
    )
    with pytest.raises(booking.SchedulingError):
        booking.cancel(session=session, reason="  ")
    assert not FreedSlot.objects.exists()


def test_overdue_patient_is_offered_first(
    clinic,
    waitlisted,
    make_patient,
    cancelled_slot,
    sms_outbox,
    visit_day,
    business_clock,
    one_at_a_time,
):
    ocr = clinic["protocols"]["ocrelizumab_iv"]
    newcomer = waitlisted(first_name="New")  # dose 1, no due date: last in priority
    late = make_patient(first_name="Late")
    _given(late, ocr, visit_day - dt.timedelta(days=30), clinic["chairs"][0])  # dose 2 due day 14
    overdue = waitlisted(patient=late, dose_number=2, earliest=visit_day - dt.timedelta(days=3))
    assert overdue.due_date == visit_day - dt.timedelta(days=16)
    freed = cancelled_slot()

    stats = run_cycle()

    offers = list(Offer.objects.filter(freed=freed))
    assert stats["offers_made"] == 1
    assert [o.entry_id for o in offers] == [overdue.pk]
    assert offers[0].status == OfferStatus.OFFERED
    assert offers[0].start == at(visit_day, 9)
    assert offers[0].chair_id == freed.chair_id
    assert newcomer.offers.count() == 0
    assert len(sms_outbox) == 1 and sms_outbox[0]["to"] == overdue.patient.mobile
    assert "YES" in sms_outbox[0]["body"]


def test_the_offer_text_carries_no_health_information(
    clinic, waitlisted, cancelled_slot, sms_outbox, business_clock
):
    waitlisted()
    cancelled_slot()
    run_cycle()
    (text,) = sms_outbox
    body = text["body"].split(":", 1)[1].lower()  # after the sender name (the center's)
    for word in ("ocrevus", "ocrelizumab", "infusion", " ms", "sclerosis", "dose", "lab", "ient"):
        assert word not in body, word


def test_patients_who_cannot_come_then_are_not_offered(
    clinic, waitlisted, cancelled_slot, sms_outbox, visit_day, business_clock
):
    # Only late afternoons (after the freed time), a window that starts after the visit day, and too long a notice.
    waitlisted(first_name="Pm", windows=[{"weekdays": [0], "start": "15:00", "end": "19:00"}])
    waitlisted(first_name="Later", earliest=visit_day + dt.timedelta(days=1))
    waitlisted(first_name="Notice", min_notice_hours=24 * 20)
    freed = cancelled_slot(hour=9)
    run_cycle()
    assert not Offer.objects.filter(freed=freed).exists()
    assert sms_outbox == []


def test_a_patient_booked_earlier_already_is_not_offered_a_later_time(
    clinic, waitlisted, cancelled_slot, make_patient, visit_day, business_clock
):
    patient = make_patient()
    booking.book_session(
        patient=patient,
        protocol=clinic["protocols"]["ocrelizumab_iv"],
        dose_number=1,
        start=at(visit_day - dt.timedelta(days=7), 9),
    )
    waitlisted(patient=patient)
    freed = cancelled_slot()
    run_cycle()
    assert not Offer.objects.filter(freed=freed).exists()


def test_offers_to_the_top_few_at_once(clinic, waitlisted, cancelled_slot, business_clock):
    from waitlist.models import WaitlistSettings

    conf = WaitlistSettings.load()
    conf.offers_at_once = 2
    conf.save()
    a, b, c = (waitlisted(first_name=n) for n in "ABC")
    freed = cancelled_slot()
    run_cycle()
    assert sorted(Offer.objects.filter(freed=freed).values_list("entry_id", flat=True)) == [
        a.pk,
        b.pk,
    ]
