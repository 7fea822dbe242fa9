"""Utilization: chair-hours booked vs open, peak concurrency, nurse load, as SVG."""

import datetime as dt

import pytest
from django.urls import reverse

from scheduling.utilization import utilization

pytestmark = pytest.mark.django_db


def test_figures_add_up(booked_day, clinic_day):
    sessions = booked_day(3)
    u = utilization(date_from=clinic_day, date_to=clinic_day)
    booked = sum((s.chair_release_at - s.start).total_seconds() / 3600 for s in sessions)
    assert u.chair_hours_open == pytest.approx(8 * 12)  # 8 chairs x 07:00-19:00
    assert u.chair_hours_booked == pytest.approx(booked)
    assert sum(h.chair_hours_booked for h in u.by_hour) == pytest.approx(booked)
    assert [h.hour for h in u.by_hour] == list(range(7, 19))
    assert u.peak_chairs == 3  # 07:00, 08:15 and 08:30 starts overlap
    assert u.by_hour[0].nurse_hours_on_shift == pytest.approx(4)


def test_utilization_query_count_constant_in_sessions_and_days(
    booked_day, clinic_day, django_assert_num_queries
):
    booked_day(1)
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as one:
        utilization(date_from=clinic_day, date_to=clinic_day)
    booked_day(5)
    with django_assert_num_queries(len(one.captured_queries)):
        utilization(
            date_from=clinic_day - dt.timedelta(days=10), date_to=clinic_day + dt.timedelta(days=10)
        )


def test_manager_sees_svg_charts(login, manager, booked_day, clinic_day):
    booked_day(2)
    page = login(manager).get(
        reverse("utilization"),
        {
            "date_from": clinic_day.isoformat(),
            "date_to": (clinic_day + dt.timedelta(days=4)).isoformat(),
        },
    )
    assert page.status_code == 200
    html = page.content.decode()
    assert html.count("<svg viewBox") == 4
    assert "Chair-hours by hour of day" in html and "Nurse load by hour of day" in html
    assert "Peak concurrency" in html


@pytest.mark.parametrize(
    "params",
    [
        {"date_from": "x"},
        {"date_from": "2026-01-10", "date_to": "2026-01-01"},
        {"date_from": "2026-01-01", "date_to": "2027-01-01"},
    ],
)
def test_bad_dates_never_500(login, manager, clinic, params):
    page = login(manager).get(reverse("utilization"), params)
    assert page.status_code == 200 and "errorlist" in page.content.decode()
