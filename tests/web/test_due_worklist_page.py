"""The due worklist: patients due and not booked, one click into find-and-book."""

import datetime as dt

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db


def _due_patient(make_patient, protocol, chair, given_on_days_ago):
    from django.utils import timezone

    from scheduling import services
    from tests.conftest import TZ

    patient = make_patient()
    day = timezone.now().astimezone(TZ).date() - dt.timedelta(days=given_on_days_ago)
    services.record_past_dose(
        patient=patient,
        protocol=protocol,
        dose_number=1,
        chair=chair,
        start=dt.datetime.combine(day, dt.time(9), tzinfo=TZ),
    )
    return patient


def test_due_lists_patient_with_link_into_find_and_book(login, front_desk, clinic, make_patient):
    patient = _due_patient(
        make_patient, clinic["protocols"]["natalizumab"], clinic["chairs"][0], 26
    )
    page = login(front_desk).get(reverse("due"))
    assert page.status_code == 200
    html = page.content.decode()
    assert patient.last_name in html
    assert f"/book/?patient={patient.pk}&amp;protocol=natalizumab&amp;dose_number=2" in html
    assert 'href="/planner/" id="plan-them-all"' in html  # or plan everyone at once


def test_due_query_count_is_constant(
    login, front_desk, clinic, make_patient, django_assert_max_num_queries
):
    client = login(front_desk)
    for _ in range(2):
        _due_patient(make_patient, clinic["protocols"]["natalizumab"], clinic["chairs"][0], 26)
    client.get(reverse("due"))
    with django_assert_max_num_queries(30) as few:
        client.get(reverse("due"))
    for _ in range(6):
        _due_patient(make_patient, clinic["protocols"]["natalizumab"], clinic["chairs"][1], 26)
    with django_assert_max_num_queries(len(few.captured_queries)):
        page = client.get(reverse("due"))
    assert page.content.decode().count("Find a slot</a>") == 8
