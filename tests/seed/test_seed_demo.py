"""`manage.py seed_demo`: a believable center whose bookings obey every scheduling rule.

The rules are checked here INDEPENDENTLY of the engine: plain ORM reads and comparisons of
local clock times, sorted intervals and counts (DESIGN §4 rules 1-6).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from io import StringIO
from zoneinfo import ZoneInfo

import pytest
from django.contrib.auth import authenticate
from django.core.management import call_command
from django.utils import timezone

from tests.conftest import DEMO_PASSWORD

ACTIVE = ("booked", "confirmed", "checked_in", "in_chair")
SMALL = 40


def seed(patients: int = SMALL) -> str:
    out = StringIO()
    call_command("seed_demo", "--patients", str(patients), stdout=out)
    return out.getvalue()


def counts() -> dict[str, int]:
    from django.contrib.auth.models import User

    from patients.models import LabResult, Patient, PatientProtocol
    from scheduling.models import (
        AuditEvent,
        Chair,
        Closure,
        InfusionSession,
        Nurse,
        NurseShift,
        NurseTimeOff,
        OpeningHours,
        Reminder,
        Series,
    )

    models = (
        User,
        Patient,
        PatientProtocol,
        LabResult,
        Chair,
        Closure,
        InfusionSession,
        Nurse,
        NurseShift,
        NurseTimeOff,
        OpeningHours,
        Reminder,
        Series,
        AuditEvent,
    )
    return {m.__name__: m.objects.count() for m in models}


# --- the independent rule check -----------------------------------------------------------------


def _rule_for(rules, dose: int, option: str):
    """The dose rule covering `dose` (the option's own rule first), by plain comparisons."""
    for opt in (option, "standard"):
        found = [
            r
            for r in rules
            if r.option == opt and r.from_dose <= dose and (r.to_dose is None or dose <= r.to_dose)
        ]
        if found:
            return max(found, key=lambda r: r.from_dose)
    return None


def rule_problems() -> list[str]:
    """Every way the active sessions break DESIGN §4 rules 1-6; [] when they are all kept."""
    from scheduling.models import (
        CenterSettings,
        Closure,
        DoseRule,
        InfusionSession,
        NurseShift,
        NurseTimeOff,
        OpeningHours,
    )

    center = CenterSettings.objects.get()
    tz = ZoneInfo(center.time_zone)
    turnover = dt.timedelta(minutes=center.turnover_minutes)
    stagger = dt.timedelta(minutes=center.stagger_minutes)
    hours = {h.weekday: (h.opens, h.closes) for h in OpeningHours.objects.all()}
    closed = set(Closure.objects.values_list("date", flat=True))
    shifts = defaultdict(list)
    for s in NurseShift.objects.all():
        shifts[(s.nurse_id, s.weekday)].append((s.start, s.end))
    time_off = defaultdict(list)
    for t in NurseTimeOff.objects.all():
        time_off[t.nurse_id].append((t.start_date, t.end_date))
    rules = defaultdict(list)
    for r in DoseRule.objects.all():
        rules[r.protocol_id].append(r)

    active = list(
        InfusionSession.objects.filter(status__in=ACTIVE).select_related(
            "chair", "nurse", "protocol"
        )
    )
    problems = []
    for s in active:
        name = f"session {s.pk} ({s.protocol.code} #{s.dose_number}, {s.start.astimezone(tz):%Y-%m-%d %H:%M})"
        a, e = s.start.astimezone(tz), s.observation_end.astimezone(tz)
        day = a.date()
        # Timeline: the catalogue's durations, turnover after observation.
        rule = _rule_for(rules[s.protocol_id], s.dose_number, s.option)
        if rule is None:
            problems.append(f"{name}: no dose rule")
            continue
        if (
            s.premed_start != s.start
            or s.infusion_start - s.start != dt.timedelta(minutes=rule.premed_lead_minutes)
            or s.infusion_end - s.infusion_start != dt.timedelta(minutes=rule.infusion_minutes)
            or s.observation_end - s.infusion_end != dt.timedelta(minutes=rule.observation_minutes)
            or s.chair_release_at - s.observation_end != turnover
        ):
            problems.append(f"{name}: phase times do not match the dose rule plus turnover")
        # Rule 3: opening hours on an open day.
        if day in closed:
            problems.append(f"{name}: on a closure day")
        if day.weekday() not in hours:
            problems.append(f"{name}: the center is closed on {day:%A}")
        else:
            opens, closes = hours[day.weekday()]
            if a.time() < opens or e.date() != day or e.time() > closes:
                problems.append(f"{name}: outside opening hours {opens}-{closes}")
        # Rules 4-5: nurse on one shift for the whole session, not off, skilled; chair kind.
        if s.nurse is None:
            problems.append(f"{name}: no nurse")
        else:
            if not any(
                st <= a.time() and e.date() == day and e.time() <= en
                for st, en in shifts[(s.nurse_id, day.weekday())]
            ):
                problems.append(f"{name}: nurse {s.nurse.name} not on shift")
            if any(f <= day <= t for f, t in time_off[s.nurse_id]):
                problems.append(f"{name}: nurse {s.nurse.name} is on time off")
            if s.protocol.required_skill and s.protocol.required_skill not in s.nurse.skills:
                problems.append(f"{name}: nurse {s.nurse.name} lacks {s.protocol.required_skill}")
        if s.protocol.required_chair_kind and s.chair.kind != s.protocol.required_chair_kind:
            problems.append(f"{name}: chair {s.chair.name} is a {s.chair.kind}")
        if not s.chair.active:
            problems.append(f"{name}: chair {s.chair.name} is inactive")

    # Rule 1: chairs, turnover included. Rule 2: patients.
    for key, end_field, what in (
        ("chair_id", "chair_release_at", "chair"),
        ("patient_id", "observation_end", "patient"),
    ):
        groups = defaultdict(list)
        for s in active:
            groups[getattr(s, key)].append(s)
        for items in groups.values():
            items.sort(key=lambda s: s.start)
            for prev, nxt in zip(items, items[1:], strict=False):
                if nxt.start < getattr(prev, end_field):
                    problems.append(f"{what} overlap: sessions {prev.pk} and {nxt.pk}")

    # Rule 4: nurse capacity at every start instant, and the start stagger.
    by_nurse = defaultdict(list)
    for s in active:
        if s.nurse_id:
            by_nurse[s.nurse_id].append(s)
    for items in by_nurse.values():
        items.sort(key=lambda s: s.start)
        cap = items[0].nurse.max_concurrent_patients
        for s in items:
            here = sum(1 for o in items if o.start <= s.start < o.observation_end)
            if here > cap:
                problems.append(f"nurse {s.nurse.name}: {here} patients at {s.start} (max {cap})")
        for prev, nxt in zip(items, items[1:], strict=False):
            if nxt.start - prev.start < stagger:
                problems.append(
                    f"nurse {prev.nurse.name}: starts {prev.pk} and {nxt.pk} within the stagger"
                )

    # Rule 6: dose numbers follow on, minimum spacing, and an override reason outside the window.
    held = defaultdict(list)
    for s in InfusionSession.objects.filter(status__in=(*ACTIVE, "completed")).order_by("start"):
        held[(s.patient_id, s.protocol_id)].append(s)
    for (_pid, prot), items in held.items():
        dates = {s.dose_number: s.start.astimezone(tz).date() for s in items}
        numbers = sorted(dates)
        if numbers != list(range(numbers[0], numbers[-1] + 1)):
            problems.append(f"patient {_pid}: dose numbers {numbers} have a gap")
        for s in items:
            if s.status not in ACTIVE:
                continue
            n, day = s.dose_number, dates[s.dose_number]
            rule = _rule_for(rules[prot], n, s.option)
            prev = dates.get(n - 1)
            if prev is None:
                continue
            if day <= prev and not rule.joins_series:
                problems.append(f"session {s.pk}: dose {n} not after dose {n - 1}")
            if rule.min_interval_days is not None and (day - prev).days < rule.min_interval_days:
                problems.append(
                    f"session {s.pk}: dose {n} only {(day - prev).days} days after dose {n - 1}"
                )
            if rule.interval_days is None:
                continue
            anchor = prev
            if rule.interval_anchor == "series_start":
                first = n - 1
                while first > 1 and _rule_for(rules[prot], first, s.option).joins_series:
                    first -= 1
                anchor = dates.get(first, prev)
            due = anchor + dt.timedelta(days=rule.interval_days)
            in_window = (
                due - dt.timedelta(days=rule.window_early_days)
                <= day
                <= due + dt.timedelta(days=rule.window_late_days)
            )
            if not in_window and not s.override_reason:
                problems.append(
                    f"session {s.pk}: dose {n} on {day}, due {due}, outside the window "
                    "without an override reason"
                )
    return problems


def past_overlaps() -> list[str]:
    """Past (completed) demo doses were placed on real chairs too: no chair or patient overlap."""
    from scheduling.models import InfusionSession

    problems = []
    done = list(InfusionSession.objects.filter(status="completed"))
    for key in ("chair_id", "patient_id"):
        groups = defaultdict(list)
        for s in done:
            groups[getattr(s, key)].append(s)
        for items in groups.values():
            items.sort(key=lambda s: s.start)
            for prev, nxt in zip(items, items[1:], strict=False):
                if nxt.start < prev.observation_end:
                    problems.append(f"past {key} overlap: {prev.pk} and {nxt.pk}")
    return problems


def _assert_demo_logins():
    from scheduling.roles import roles_of

    expected = {
        "manager": "manager",
        "frontdesk": "front_desk",
        "nurse1": "nurse",
        "nurse8": "nurse",
    }
    for username, role in expected.items():
        user = authenticate(username=username, password=DEMO_PASSWORD)
        assert user is not None, username
        assert role in roles_of(user)
    manager = authenticate(username="manager", password=DEMO_PASSWORD)
    assert manager.is_staff
    nurse1 = authenticate(username="nurse1", password=DEMO_PASSWORD)
    assert nurse1.nurse.is_charge_nurse
    assert authenticate(username="frontdesk", password="wrong") is None


def _assert_labs_rems_and_worklist():
    from scheduling import selectors
    from scheduling.models import InfusionSession

    sessions = list(InfusionSession.objects.filter(status__in=ACTIVE).select_related("protocol"))
    colours = {c.status for c in selectors.lab_readiness_for_sessions(sessions).values()}
    assert colours == {"red", "amber", "green"}
    # REMS: most authorizations are valid, some have lapsed and show up on the roster.
    rems = {
        selectors.rems_status(
            s, s.patient.treatments.filter(active=True, protocol=s.protocol).first()
        )
        for s in sessions
        if s.protocol.rems_program
    }
    assert {"authorized", "not_authorized"} <= rems
    # The due worklist is not empty: some due patients are left for the coordinator.
    assert selectors.due_worklist()


# --- tests ---------------------------------------------------------------------------------------


@pytest.fixture
def seeded(db, roles, catalogue):
    return seed()


def test_seed_builds_a_believable_center(seeded):
    from patients.models import LabResult, Patient, PatientProtocol
    from scheduling.models import Chair, Closure, InfusionSession, Nurse, OpeningHours, Protocol

    assert Chair.objects.filter(active=True).count() == 11
    assert Chair.objects.filter(kind="bed").count() == 2
    assert Nurse.objects.count() == 8
    assert Nurse.objects.filter(is_charge_nurse=True).count() == 1
    assert all(n.shifts.exists() for n in Nurse.objects.all())
    assert Nurse.objects.filter(time_off__isnull=False).exists()
    skills = {s for n in Nurse.objects.all() for s in n.skills}
    assert {"chemo", "rems_natalizumab", "rems_alemtuzumab"} <= skills
    assert set(OpeningHours.objects.values_list("weekday", flat=True)) >= {0, 1, 2, 3, 4}

    assert Patient.objects.count() == SMALL
    # Every protocol of the catalogue has patients.
    assert set(PatientProtocol.objects.values_list("protocol__code", flat=True)) == set(
        Protocol.objects.values_list("code", flat=True)
    )
    assert Patient.objects.filter(sms_opted_out_at__isnull=False).exists()
    assert Patient.objects.filter(mobile="").exists()  # email-only patients
    assert Patient.objects.exclude(time_zone="America/New_York").exists()
    assert LabResult.objects.filter(status="ordered").exists()

    # A closure inside the two booked weeks, on a day the center would otherwise be open.
    today = timezone.localdate()
    window = [today + dt.timedelta(days=i) for i in range(1, 15)]
    assert any(c.date in window and c.date.weekday() < 5 for c in Closure.objects.all())

    # Two weeks booked (single doses inside them; courses may run on), with history behind.
    future = InfusionSession.objects.filter(status__in=ACTIVE, start__gt=timezone.now())
    assert future.count() >= 15
    assert InfusionSession.objects.filter(status="completed").count() >= SMALL
    last = timezone.now() + dt.timedelta(days=15)
    assert not future.filter(start__gt=last).exclude(series__isnull=False).exists()
    assert "Booked" in seeded and "Skipped" in seeded
    _assert_demo_logins()
    _assert_labs_rems_and_worklist()


def test_every_booked_session_keeps_the_scheduling_rules(seeded):
    from scheduling.models import InfusionSession

    assert InfusionSession.objects.filter(status__in=ACTIVE).exists()
    assert rule_problems() == []
    assert past_overlaps() == []

    # The check is not vacuous: move one session to 02:00 the same day (no database
    # constraint guards opening hours or shifts) and it must complain.
    s = InfusionSession.objects.filter(status__in=ACTIVE).order_by("start").first()
    local = s.start.astimezone(ZoneInfo("America/New_York"))
    shift = local.replace(hour=2, minute=0) - local
    InfusionSession.objects.filter(pk=s.pk).update(
        **{
            f: getattr(s, f) + shift
            for f in (
                "start",
                "premed_start",
                "infusion_start",
                "infusion_end",
                "observation_end",
                "chair_release_at",
            )
        }
    )
    problems = rule_problems()
    assert any("outside opening hours" in p for p in problems)
    assert any("not on shift" in p for p in problems)


def test_second_run_changes_nothing(seeded):
    before = counts()
    out = seed()
    assert "already seeded" in out
    assert counts() == before
    # Even with another size asked for, a seeded database is left alone.
    call_command("seed_demo", "--patients", "5", stdout=StringIO())
    assert counts() == before


def test_holidays_and_a_closed_day_in_any_fortnight():
    from scheduling.demo import closures_for, us_holidays

    h2026 = us_holidays(2026)
    assert h2026[dt.date(2026, 11, 26)] == "Thanksgiving Day"
    assert h2026[dt.date(2026, 12, 25)] == "Christmas Day"
    assert h2026[dt.date(2026, 7, 3)] == "Independence Day"  # July 4 is a Saturday: observed Friday
    assert h2026[dt.date(2026, 5, 25)] == "Memorial Day"
    assert us_holidays(2027)[dt.date(2027, 1, 1)] == "New Year's Day"
    # No holiday between Mar 3 and Mar 16: a training day closes one weekday of the fortnight.
    march = closures_for(dt.date(2026, 3, 2))
    inside = [d for d in march if dt.date(2026, 3, 3) <= d <= dt.date(2026, 3, 16)]
    assert len(inside) == 1 and inside[0].weekday() < 5
    assert "training" in march[inside[0]]
    # Around Christmas the holiday itself is the closure.
    december = closures_for(dt.date(2026, 12, 14))
    assert dt.date(2026, 12, 25) in december
    assert not any("training" in reason for reason in december.values())


def test_bad_size_is_refused(db):
    from django.core.management.base import CommandError

    with pytest.raises(CommandError):
        call_command("seed_demo", "--patients", "0", stdout=StringIO())
