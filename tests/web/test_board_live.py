"""The board on the day itself: a now line, late arrivals marked, closed days shown as closed,
a status legend, the drug on every block; the utilization fields show the range shown."""

from __future__ import annotations

import datetime as dt
import re

import time_machine

from tests.conftest import at


def _board(login, user, day):
    return login(user).get("/board/", {"date": day.isoformat()}).content.decode()


def test_now_line_and_a_late_arrival(login, front_desk, booked_day, clinic_day):
    sessions = booked_day(3)  # 07:00 Ocrevus, 08:00 Tysabri, 07:15 Ocrevus (all booked)
    with time_machine.travel(at(clinic_day, 10, 30), tick=False):
        html = _board(login, front_desk, clinic_day)
    assert 'class="now-line"' in html and 'data-now="10:30"' in html
    late = re.findall(r'class="block status-booked late"[^>]*data-session="(\d+)"', html)
    assert {int(pk) for pk in late} == {s.pk for s in sessions}
    assert "late 210′" in html  # the 07:00 patient, 3 h 30 after the start
    assert "3 late arrivals" in html
    assert "Ocrevus #1" in html and "Tysabri #1" in html


def test_checked_in_is_not_late_and_other_days_have_no_now_line(
    login, front_desk, booked_day, clinic_day
):
    from scheduling import services

    first, *_ = booked_day(2)
    with time_machine.travel(at(clinic_day, 7, 5), tick=False):
        services.check_in(session=first, by=front_desk)
    with time_machine.travel(at(clinic_day, 10, 30), tick=False):
        html = _board(login, front_desk, clinic_day)
        assert 'late"' not in html.split(f'data-session="{first.pk}"')[0].rsplit("<button", 1)[1]
        other = _board(login, front_desk, clinic_day + dt.timedelta(days=1))
    assert "now-line" not in other
    assert "Late: not checked in 10 min after the start" in html  # the legend
    assert "In the chair" in html and "No-show" in html


def test_before_and_after_hours_no_late_marks(login, front_desk, booked_day, clinic_day):
    booked_day(2)
    with time_machine.travel(at(clinic_day, 6, 0), tick=False):
        early = _board(login, front_desk, clinic_day)
    assert (
        " late"
        not in re.sub(r'<div class="legend.*?</div>', "", early, flags=re.S)
        .replace("late arrival", "")
        .split('class="board')[1]
    )
    assert "now-line" not in early  # before the grid starts


def test_closure_is_shown_as_a_closed_day(login, front_desk, clinic, clinic_day):
    from scheduling.models import Closure

    Closure.objects.create(date=clinic_day, reason="Staff training day")
    html = _board(login, front_desk, clinic_day)
    assert "Closed: Staff training day" in html
    assert "board-closed" in html
    sunday = clinic_day + dt.timedelta(days=6)
    assert "Closed: the center has no opening hours on Sundays" in _board(login, front_desk, sunday)


def test_utilization_fields_show_the_week_with_saturday_when_open(login, manager, clinic):
    from django.utils import timezone

    from scheduling.models import OpeningHours
    from tests.conftest import TZ

    today = timezone.now().astimezone(TZ).date()
    monday = today - dt.timedelta(days=today.weekday())
    page = login(manager).get("/utilization/")
    html = page.content.decode()
    assert f'value="{monday.isoformat()}"' in html
    assert f'value="{(monday + dt.timedelta(days=4)).isoformat()}"' in html
    OpeningHours.objects.create(weekday=5, opens=dt.time(8), closes=dt.time(13))
    page = login(manager).get("/utilization/")
    assert page.context["u"].date_to == monday + dt.timedelta(days=5)
    assert f'value="{(monday + dt.timedelta(days=5)).isoformat()}"' in page.content.decode()
