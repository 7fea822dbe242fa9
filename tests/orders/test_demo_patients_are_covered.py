"""The demo seeds orders and authorizations before it books, with the rule ON (as `make
run` does): every booked dose is covered, and the worklists have something to show."""

from __future__ import annotations

import datetime as dt
from io import StringIO

import pytest
from django.core.management import call_command

from orders.models import Allergy, Authorization, BodyMeasurement, TreatmentOrder
from scheduling.models import ACTIVE_STATUSES, InfusionSession


@pytest.mark.django_db(transaction=True)
def test_demo_bookings_all_have_an_order(catalogue, roles, prices):
    call_command("seed_demo", "--patients", "40", stdout=StringIO())
    booked = InfusionSession.objects.filter(status__in=ACTIVE_STATUSES).select_related("protocol")
    assert booked.count() > 10
    for s in booked:
        day = s.start.date()
        assert TreatmentOrder.objects.filter(
            patient=s.patient_id,
            protocol=s.protocol_id,
            cancelled_at__isnull=True,
            signed_on__lte=day,
            expires_on__gte=day,
        ).exists(), s
        if s.protocol.needs_authorization:
            assert Authorization.objects.filter(
                patient=s.patient_id, valid_from__lte=day, valid_to__gte=day
            ).exists(), s
    # Something for the worklists: a missing or expired order, an authorization ending soon.
    from django.utils import timezone

    from patients.models import Patient

    today = timezone.localdate()
    assert Patient.objects.filter(treatment_orders__isnull=True).exists()
    assert TreatmentOrder.objects.filter(expires_on__lt=today).exists()
    assert Authorization.objects.filter(valid_to__lte=today + dt.timedelta(days=30)).exists()
    assert BodyMeasurement.objects.filter(
        patient__treatments__protocol__code="mitoxantrone"
    ).exists()
    assert Allergy.objects.exists()
