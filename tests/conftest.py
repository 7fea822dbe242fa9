"""Shared fixtures. Tests run on whatever DATABASE_URL says; `make test` points it at PostgreSQL.

Services a test needs (PostgreSQL, Redis, Chromium, a Celery worker) are declared with markers
(see tests/services.py): missing ones skip locally with a message naming what to install, and
fail the run when CI=true.

Data created by migrations (catalogue, role groups) is gone after a transactional test flushes
the database, so tests ask for it through the `catalogue` and `roles` fixtures, which recreate
it idempotently.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from tests.services import _fail_missing_service, require_marked_services  # noqa: F401

TZ = ZoneInfo("America/New_York")
DEMO_PASSWORD = "demo-pass-2026"


def pytest_collection_modifyitems(config, items):
    require_marked_services(items)


@pytest.fixture(autouse=True)
def _fresh_throttle_counters():
    """Throttle and failed-sign-in counters live in the cache: each test starts from zero, so
    one test's 401s never make another's requests a 429."""
    from django.core.cache import cache

    cache.clear()
    yield


@pytest.fixture(autouse=True)
def _treatment_order_rules(request, settings):
    """Production books only doses covered by a treatment order and, for biologics, an
    authorization (orders.coverage). Tests written before that rule existed book without
    orders, so the rule is OFF unless a test is marked `@pytest.mark.treatment_orders`;
    the orders tests (tests/orders) and their API and browser tests run with it ON. The
    dose-based lifetime cap applies either way."""
    if request.node.get_closest_marker("treatment_orders") is None:
        settings.TREATMENT_ORDER_RULES = False


@pytest.fixture
def center(db):
    from scheduling.models import CenterSettings

    return CenterSettings.load()


@pytest.fixture
def catalogue(db):
    """The MS protocol catalogue from scheduling/data/ms_protocols.yaml."""
    from scheduling.catalogue import load_catalogue
    from scheduling.models import Protocol

    load_catalogue()
    return {p.code: p for p in Protocol.objects.all()}


@pytest.fixture
def roles(db):
    from scheduling.roles import ensure_roles

    ensure_roles()


@pytest.fixture
def make_staff(db, roles):
    """make_staff("front_desk") -> a logged-in-able user in that role (password DEMO_PASSWORD),
    exempt from two-factor sign-in unless two_factor_exempt=False."""
    from django.contrib.auth.models import Group, User

    def make(role: str, username: str | None = None, two_factor_exempt: bool = True, **extra):
        user = User.objects.create_user(
            username=username or f"{role}_{User.objects.count() + 1}",
            password=DEMO_PASSWORD,
            is_staff=role == "manager",
            **extra,
        )
        user.groups.add(Group.objects.get(name=role))
        if two_factor_exempt:
            # Like the demo logins: managers would otherwise owe a TOTP code at every page
            # (tests/hardening/test_two_factor.py makes managers without this).
            from infusion_center.two_factor import OTP_EXEMPT_GROUP

            user.groups.add(Group.objects.get_or_create(name=OTP_EXEMPT_GROUP)[0])
        return user

    return make


def next_weekday(after: dt.date, weekday: int = 0) -> dt.date:
    """The first given weekday (0 = Monday) strictly after `after`."""
    days = (weekday - after.weekday()) % 7 or 7
    return after + dt.timedelta(days=days)


@pytest.fixture
def clinic_day():
    """A Monday at least a week ahead, so reminders and 'not in the past' rules hold."""
    from django.utils import timezone

    return next_weekday(timezone.now().astimezone(TZ).date() + dt.timedelta(days=7), 0)


def at(day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour, minute), tzinfo=TZ)


@pytest.fixture
def clinic(db, center, catalogue):
    """A small real center: open Mon–Fri 07:00–19:00; 6 recliners and 2 beds; 4 nurses on
    07:00–19:00 (one with chemo, one with natalizumab REMS, one with alemtuzumab REMS)."""
    from scheduling.models import Chair, Nurse, NurseShift, OpeningHours

    for wd in range(5):
        OpeningHours.objects.update_or_create(
            weekday=wd, defaults={"opens": dt.time(7), "closes": dt.time(19)}
        )
    chairs = [
        Chair.objects.create(name=f"R{i}", kind="recliner", area="Bay A", display_order=i)
        for i in range(1, 7)
    ]
    chairs += [
        Chair.objects.create(name=f"B{i}", kind="bed", area="Bay B", display_order=10 + i)
        for i in (1, 2)
    ]
    skills = [["chemo"], ["rems_natalizumab"], ["rems_alemtuzumab"], []]
    nurses = []
    for i, sk in enumerate(skills, start=1):
        nurse = Nurse.objects.create(name=f"Nurse {i}", skills=sk, max_concurrent_patients=4)
        for wd in range(5):
            NurseShift.objects.create(nurse=nurse, weekday=wd, start=dt.time(7), end=dt.time(19))
        nurses.append(nurse)
    return {"chairs": chairs, "nurses": nurses, "protocols": catalogue, "center": center}


@pytest.fixture
def make_patient(db):
    from patients.models import Patient

    counter = {"n": 0}

    def make(**kw):
        counter["n"] += 1
        n = counter["n"]
        defaults = dict(
            mrn=f"MRN{n:05d}",
            first_name=f"Pat{n}",
            last_name=f"Ient{n}",
            date_of_birth=dt.date(1980, 1, 1),
            email=f"patient{n}@example.org",
            mobile=f"+1617555{n:04d}",
        )
        defaults.update(kw)
        return Patient.objects.create(**defaults)

    return make


@pytest.fixture
def celery_eager(monkeypatch):
    """Tasks run in the calling process. Sets it on the Celery app itself: once any test has
    read the app's configuration, override_settings(CELERY_TASK_ALWAYS_EAGER=...) no longer
    reaches it (the planner tests waited forever for a task nobody ran in the full suite)."""
    from infusion_center.celery import app

    monkeypatch.setattr(app.conf, "task_always_eager", True)
    monkeypatch.setattr(app.conf, "task_eager_propagates", True)
    return app
