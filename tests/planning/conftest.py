"""Fixtures for the planning tests: patients due for their next dose, and the checker."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from scheduling import services
from scheduling.models import ACTIVE_STATUSES, InfusionSession
from scheduling.world import load_world
from tests.conftest import TZ, at
from tests.engine.invariants import Rec, check_schedule


def today() -> dt.date:
    return timezone.now().astimezone(TZ).date()


@pytest.fixture
def due_ocrevus(clinic, make_patient):
    """due_ocrevus(in_days) -> a patient whose Ocrevus dose 3 is due in `in_days` days
    (window: due date to 14 days later)."""

    def make(in_days: int = 8, **patient_fields):
        patient = make_patient(**patient_fields)
        protocol = clinic["protocols"]["ocrelizumab_iv"]
        first = today() - dt.timedelta(days=168 - in_days)
        for dose, day in ((1, first), (2, first + dt.timedelta(days=14))):
            services.record_past_dose(
                patient=patient,
                protocol=protocol,
                dose_number=dose,
                start=at(day, 9),
                chair=clinic["chairs"][0],
            )
        return patient

    return make


@pytest.fixture
def due_tysabri(clinic, make_patient):
    """due_tysabri(in_days) -> a patient whose natalizumab dose 13 is due in `in_days` days
    (every 4 weeks; window 3 days early to 7 days late)."""

    def make(in_days: int = 5, **patient_fields):
        patient = make_patient(**patient_fields)
        protocol = clinic["protocols"]["natalizumab"]
        last = today() - dt.timedelta(days=28 - in_days)
        for i, dose in enumerate(range(12, 0, -1)):
            services.record_past_dose(
                patient=patient,
                protocol=protocol,
                dose_number=dose,
                start=at(last - dt.timedelta(days=28 * i), 9),
                chair=clinic["chairs"][0],
            )
        return patient

    return make


def stored_schedule_problems(first: dt.date, last: dt.date) -> list[str]:
    """The independent checker (tests/engine/invariants.py) on every active session stored."""
    world = load_world(date_from=first, date_to=last)
    recs = [
        Rec(
            s.pk,
            s.patient_id,
            s.chair_id,
            s.nurse_id,
            s.start,
            s.observation_end,
            s.chair_release_at,
            s.protocol.required_skill or None,
            s.protocol.required_chair_kind or None,
        )
        for s in InfusionSession.objects.filter(
            status__in=ACTIVE_STATUSES, start__gte=timezone.now()
        ).select_related("protocol")
    ]
    return check_schedule(world.center, world.chairs, world.nurses, recs)
