"""A search that finds no option inside the dose window is recorded, once a day."""

import datetime as dt

import pytest
from django.utils import timezone

from analytics.models import SearchMiss
from analytics.selectors import Filters, unmet_demand
from scheduling import selectors
from tests.conftest import TZ

pytestmark = pytest.mark.postgres


def test_no_option_in_the_window_is_recorded_once(clinic, make_patient):
    from scheduling.models import Closure, InfusionSession

    protocol = clinic["protocols"]["natalizumab"]
    patient = make_patient()
    today = timezone.now().astimezone(TZ).date()
    last = dt.datetime.combine(today - dt.timedelta(days=25), dt.time(9), tzinfo=TZ)
    from scheduling import services

    services.record_past_dose(
        patient=patient, protocol=protocol, dose_number=20, start=last, chair=clinic["chairs"][0]
    )
    due = selectors.next_due_for(patient=patient, protocol=protocol)
    day = due.window_start
    while day <= due.window_end:  # the whole window closed
        Closure.objects.get_or_create(date=day, defaults={"reason": "test"})
        day += dt.timedelta(days=1)
    for _ in range(2):
        slots = selectors.availability(
            patient=patient,
            protocol=protocol,
            dose_number=21,
            date_from=max(today, due.window_start - dt.timedelta(days=2)),
            date_to=due.window_end + dt.timedelta(days=5),
            limit=3,
        )
    assert slots  # options after the window exist, none inside it
    miss = SearchMiss.objects.get()
    assert (miss.patient, miss.dose_number, miss.window_end) == (patient, 21, due.window_end)
    assert miss.options_found == len(slots)
    rows = unmet_demand(Filters(today, today), today=today)
    assert [(r.key, r.misses) for r in rows] == [("natalizumab", 1)]
    assert InfusionSession.objects.count() == 1


def test_a_search_with_an_option_in_the_window_is_not_a_miss(clinic, make_patient):
    protocol = clinic["protocols"]["natalizumab"]
    patient = make_patient()
    today = timezone.now().astimezone(TZ).date()
    from scheduling import services

    services.record_past_dose(
        patient=patient,
        protocol=protocol,
        dose_number=20,
        start=dt.datetime.combine(today - dt.timedelta(days=25), dt.time(9), tzinfo=TZ),
        chair=clinic["chairs"][0],
    )
    due = selectors.next_due_for(patient=patient, protocol=protocol)
    selectors.availability(
        patient=patient,
        protocol=protocol,
        dose_number=21,
        date_from=max(today, due.window_start),
        date_to=due.window_end,
        limit=3,
    )
    assert not SearchMiss.objects.exists()
