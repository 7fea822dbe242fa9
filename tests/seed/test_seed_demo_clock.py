"""`seed_demo` at three hours of one clinic day: today is alive and consistent with the clock
(nothing has happened after now; before opening all is still to come, after closing all is
done), the full-size demo keeps every scheduling rule and books 70-85 % of next week's weekday
chair-hours, and its history gives the analytics something true to show."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from io import StringIO

import pytest
import time_machine
from django.core.management import call_command

from tests.conftest import TZ
from tests.seed.test_seed_demo import past_overlaps, rule_problems

DAY = dt.date(2026, 10, 14)  # a Wednesday, no holiday near
STAMPS = ("checked_in_at", "in_chair_at", "started_at", "infusion_ended_at", "completed_at")


def seed_at(hour: int, minute: int = 0, patients: int | None = None) -> dt.datetime:
    now = dt.datetime.combine(DAY, dt.time(hour, minute), tzinfo=TZ)
    args = ["seed_demo"] + (["--patients", str(patients)] if patients else [])
    with time_machine.travel(now, tick=False):
        call_command(*args, stdout=StringIO())
    return now


def today_sessions():
    from scheduling.models import InfusionSession

    lo = dt.datetime.combine(DAY, dt.time(0), tzinfo=TZ)
    return list(InfusionSession.objects.filter(start__gte=lo, start__lt=lo + dt.timedelta(days=1)))


def clock_problems(now: dt.datetime) -> list[str]:
    """Every way today's sessions contradict the clock."""
    problems = []
    for s in today_sessions():
        stamps = [getattr(s, f) for f in STAMPS]
        name = f"session {s.pk} ({s.status}, {s.start.astimezone(TZ):%H:%M})"
        if any(t and t > now for t in stamps + [s.no_show_at]):
            problems.append(f"{name}: a time after now")
        # Stamps are filled in order: arrived, seated, started, ended, discharged.
        filled = [t is not None for t in stamps]
        if filled != sorted(filled, reverse=True):
            problems.append(f"{name}: stamps out of order {filled}")
        done = sum(filled)
        expected = {
            "booked": (0,),
            "confirmed": (0,),
            "checked_in": (1,),
            "in_chair": (2, 3, 4),  # seated, infusion started, infusion ended
            "completed": (5,),
            "no_show": (0,),
            "cancelled": (0,),
        }[s.status]
        if done not in expected:
            problems.append(f"{name}: {done} stamps")
        if s.status == "no_show" and s.start > now:
            problems.append(f"{name}: a no-show before its start")
        if s.status in ("checked_in", "in_chair", "completed") and s.start > now + dt.timedelta(
            minutes=45
        ):
            problems.append(f"{name}: under way long before its start")
    return problems


@pytest.mark.postgres
def test_before_opening_everything_today_is_still_to_come(db, roles, catalogue):
    now = seed_at(6, 15, patients=300)
    sessions = today_sessions()
    assert len(sessions) >= 5
    assert {s.status for s in sessions} <= {"booked", "confirmed"}
    assert clock_problems(now) == []
    assert rule_problems() == []


@pytest.mark.postgres
def test_after_closing_today_is_done(db, roles, catalogue):
    now = seed_at(20, 30, patients=300)
    sessions = today_sessions()
    assert len(sessions) >= 5
    assert {s.status for s in sessions} <= {"completed", "no_show"}
    assert "completed" in {s.status for s in sessions}
    assert clock_problems(now) == []
    assert past_overlaps() == []


@pytest.mark.postgres
def test_full_demo_at_half_past_ten(db, roles, catalogue, client):
    """The default size at 10:30: a day under way, the rules kept, next week 70-85 % booked."""
    from django.contrib.auth.models import User

    from analytics.selectors import Filters, attendance, punctuality
    from patients.models import Patient, PatientProtocol
    from scheduling.models import InfusionSession

    now = seed_at(10, 30)
    assert Patient.objects.count() >= 1500
    mix = Counter(PatientProtocol.objects.values_list("protocol__code", flat=True))
    assert [code for code, _ in mix.most_common(2)] == ["natalizumab", "ocrelizumab_iv"]

    states = Counter(s.status for s in today_sessions())
    assert states["completed"] >= 3, states
    assert states["in_chair"] >= 3, states
    assert states["checked_in"] + states["in_chair"] >= 4, states
    # Today's steps were charted through the lifecycle services (their audit rows).
    from scheduling.models import AuditEvent

    actions = set(
        AuditEvent.objects.filter(session__in=today_sessions()).values_list("action", flat=True)
    )
    assert {"checked_in", "seated", "started", "completed"} <= actions, actions
    late = [
        s
        for s in today_sessions()
        if s.status in ("booked", "confirmed") and s.start < now - dt.timedelta(minutes=10)
    ]
    ahead = [s for s in today_sessions() if s.start > now]
    assert late, "a late arrival still booked after its start"
    assert len(ahead) >= 10
    assert clock_problems(now) == []
    assert rule_problems() == []
    assert past_overlaps() == []

    # Ninety days of history with no-shows and late cancellations.
    first = DAY - dt.timedelta(days=90)
    past = InfusionSession.objects.filter(start__date__gte=first, start__lt=now)
    assert past.filter(status="completed").count() >= 2000
    assert past.filter(status="no_show").count() >= 30
    assert past.filter(
        status="cancelled", cancelled_at__gte=dt.datetime(2000, 1, 1, tzinfo=TZ)
    ).exists()
    four_weeks = Filters(DAY - dt.timedelta(days=28), DAY - dt.timedelta(days=1))
    with time_machine.travel(now, tick=False):
        on_time = punctuality(four_weeks, TZ).on_time_pct
        no_show = attendance(four_weeks, TZ).no_show_pct
    assert 60 <= on_time <= 90
    assert 1 <= no_show <= 8

    # The utilization page for next week (Mon-Fri) shows 70-85 % booked.
    monday = DAY + dt.timedelta(days=7 - DAY.weekday())
    client.force_login(User.objects.get(username="manager"))
    with time_machine.travel(now, tick=False):
        page = client.get(
            "/utilization/", {"date_from": monday, "date_to": monday + dt.timedelta(days=4)}
        )
    assert page.status_code == 200
    assert 70 <= page.context["u"].percent <= 85, page.context["u"].percent
