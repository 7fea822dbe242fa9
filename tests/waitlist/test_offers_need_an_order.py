"""With the order rules on (production), freed time is offered only to patients whose dose an
active treatment order covers: an offer nobody could book is never sent."""

from __future__ import annotations

import pytest

from waitlist.dispatcher import run_cycle
from waitlist.models import Offer

pytestmark = [pytest.mark.django_db, pytest.mark.treatment_orders]


def test_only_a_covered_patient_is_offered(
    clinic,
    waitlisted,
    cancelled_slot,
    sms_outbox,
    covered,
    business_clock,
):
    uncovered = waitlisted(first_name="NoOrder")
    ordered = waitlisted(first_name="Ordered")
    covered(ordered.patient, "ocrelizumab_iv")
    leaving_patient = ordered.patient.__class__.objects.create(
        mrn="LEAVE1", first_name="Leaving", last_name="X", date_of_birth="1980-01-01"
    )
    covered(leaving_patient, "ocrelizumab_iv")
    freed = cancelled_slot(patient=leaving_patient)
    run_cycle()
    assert list(Offer.objects.filter(freed=freed).values_list("entry_id", flat=True)) == [
        ordered.pk
    ]
    assert uncovered.offers.count() == 0
