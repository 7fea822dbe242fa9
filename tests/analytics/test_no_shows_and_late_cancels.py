"""No-show and late-cancel rates, by lead time and weekday."""

import datetime as dt

import pytest

from analytics.selectors import attendance, attendance_by
from tests.analytics.conftest import period
from tests.conftest import TZ

pytestmark = pytest.mark.postgres


@pytest.fixture
def ten_appointments(history, past_monday):
    for i in range(6):
        history(past_monday, f"{8 + i}:00")
    history(past_monday, "15:00", status="no_show")
    history(past_monday, "16:00", status="cancelled", cancelled_before=dt.timedelta(hours=20))
    history(past_monday, "17:00", status="cancelled", cancelled_before=dt.timedelta(hours=40))
    # Cancelled five days ahead: the chair could be given away, not an appointment that day.
    history(past_monday, "08:30", status="cancelled", cancelled_before=dt.timedelta(days=5))
    history(
        past_monday,
        "12:30",
        status="no_show",
        booked_before=dt.timedelta(days=1),
    )


def test_rates_over_the_period(ten_appointments, past_monday):
    a = attendance(period(past_monday), TZ)
    assert a.appointments == 10
    assert a.no_shows == 2
    assert a.no_show_pct == 20.0
    assert a.late_cancel_24h == 1 and a.late_cancel_24h_pct == 10.0
    assert a.late_cancel_48h == 2 and a.late_cancel_48h_pct == 20.0


def test_by_booking_lead_time(ten_appointments, past_monday):
    rows = {r.label: r for r in attendance_by(period(past_monday), TZ, "lead")}
    assert rows["under 3 days"].appointments == 1
    assert rows["under 3 days"].no_show_pct == 100.0
    assert rows["2-4 weeks"].appointments == 9
    assert rows["2-4 weeks"].no_shows == 1


def test_by_weekday_and_hour(ten_appointments, past_monday):
    rows = attendance_by(period(past_monday), TZ, "weekday")
    assert [(r.label, r.appointments) for r in rows] == [("Mon", 10)]
    by_hour = {r.key: r for r in attendance_by(period(past_monday), TZ, "hour")}
    assert by_hour[15].no_shows == 1 and by_hour[16].late_cancel_24h == 1
    assert 8 in by_hour and by_hour[8].appointments == 1  # the 08:30 early cancel is not counted


def test_future_appointments_do_not_count(history, past_monday):
    from django.utils import timezone

    today = timezone.now().astimezone(TZ).date()
    history(today + dt.timedelta(days=3), "09:00", status="booked")
    assert attendance(period(past_monday, days=30), TZ).appointments == 0
