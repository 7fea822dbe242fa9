"""The demo center: settings, opening hours and closures, chairs, nurses and staff logins.

A mid-sized outpatient MS infusion suite: 11 chairs (9 recliners in two bays, 2 beds for the
long Lemtrada days), open 07:00-18:00 on weekdays and a short Saturday morning, 8 nurses on
staggered shifts (one charge nurse), US federal holidays closed.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Group, User

from infusion_center.two_factor import OTP_EXEMPT_GROUP
from scheduling.models import (
    CenterSettings,
    Chair,
    Closure,
    Nurse,
    NurseShift,
    NurseTimeOff,
    OpeningHours,
    Protocol,
)
from scheduling.roles import FRONT_DESK, MANAGER, NURSE, ensure_roles

DEMO_PASSWORD = "demo-pass-2026"
BOOKING_DAYS = 14
WEEKDAY_HOURS = (dt.time(7), dt.time(18))
SATURDAY_HOURS = (dt.time(8), dt.time(13))

CHAIRS = (
    # name, area, kind, features
    ("A1", "Bay A", "recliner", ["near_station", "window"]),
    ("A2", "Bay A", "recliner", ["near_station"]),
    ("A3", "Bay A", "recliner", []),
    ("A4", "Bay A", "recliner", ["window"]),
    ("B1", "Bay B", "recliner", ["window"]),
    ("B2", "Bay B", "recliner", []),
    ("B3", "Bay B", "recliner", []),
    ("B4", "Bay B", "recliner", []),
    ("B5", "Bay B", "recliner", ["isolation", "window"]),
    ("Bed 1", "Beds", "bed", ["near_station"]),
    ("Bed 2", "Beds", "bed", ["isolation"]),
)

MON_FRI = (0, 1, 2, 3, 4)
# (username, name, skills, charge nurse, weekdays, shift start, shift end)
NURSES = (
    (
        "nurse1",
        "Maria Alvarez",
        ["chemo", "rems_natalizumab", "rems_alemtuzumab"],
        True,
        MON_FRI,
        dt.time(7),
        dt.time(15, 30),
    ),
    ("nurse2", "Daniel Okafor", ["rems_natalizumab"], False, MON_FRI, dt.time(7), dt.time(15, 30)),
    (
        "nurse3",
        "Priya Raman",
        ["chemo", "rems_alemtuzumab"],
        False,
        MON_FRI,
        dt.time(7, 30),
        dt.time(16),
    ),
    ("nurse4", "Grace Kim", ["rems_natalizumab"], False, MON_FRI, dt.time(8, 30), dt.time(17)),
    (
        "nurse5",
        "Tom Becker",
        ["rems_natalizumab"],
        False,
        (1, 2, 3, 4, 5),
        dt.time(8),
        dt.time(16, 30),
    ),
    (
        "nurse6",
        "Aisha Bello",
        ["chemo", "rems_natalizumab"],
        False,
        MON_FRI,
        dt.time(9, 30),
        dt.time(18),
    ),
    (
        "nurse7",
        "Luis Ortega",
        ["rems_alemtuzumab", "rems_natalizumab"],
        False,
        MON_FRI,
        dt.time(9, 30),
        dt.time(18),
    ),
    (
        "nurse8",
        "Hannah Sato",
        ["rems_natalizumab"],
        False,
        (0, 1, 2, 3, 5),
        dt.time(9, 30),
        dt.time(18),
    ),
)
SATURDAY_SHIFT = (dt.time(8), dt.time(13))  # nurses working Saturday do the short morning


def _nth_weekday(year: int, month: int, weekday: int, n: int) -> dt.date:
    d = dt.date(year, month, 1)
    d += dt.timedelta(days=(weekday - d.weekday()) % 7)
    return d + dt.timedelta(weeks=n - 1)


def _last_weekday(year: int, month: int, weekday: int) -> dt.date:
    d = dt.date(year, month + 1, 1) - dt.timedelta(days=1) if month < 12 else dt.date(year, 12, 31)
    return d - dt.timedelta(days=(d.weekday() - weekday) % 7)


def _observed(d: dt.date) -> dt.date:
    """A fixed-date holiday on a Saturday is observed on Friday, on a Sunday on Monday."""
    if d.weekday() == 5:
        return d - dt.timedelta(days=1)
    if d.weekday() == 6:
        return d + dt.timedelta(days=1)
    return d


def us_holidays(year: int) -> dict[dt.date, str]:
    """US federal holidays the center closes for (observed dates)."""
    return {
        _observed(dt.date(year, 1, 1)): "New Year's Day",
        _nth_weekday(year, 1, 0, 3): "Martin Luther King Jr. Day",
        _nth_weekday(year, 2, 0, 3): "Presidents' Day",
        _last_weekday(year, 5, 0): "Memorial Day",
        _observed(dt.date(year, 6, 19)): "Juneteenth",
        _observed(dt.date(year, 7, 4)): "Independence Day",
        _nth_weekday(year, 9, 0, 1): "Labor Day",
        _nth_weekday(year, 11, 3, 4): "Thanksgiving Day",
        _observed(dt.date(year, 12, 25)): "Christmas Day",
    }


def closures_for(today: dt.date, *, weeks: int = 6) -> dict[dt.date, str]:
    """Holidays in the coming weeks; if none falls on an open weekday of the two booked weeks,
    a staff training day there, so the demo always shows a closed day on the board."""
    horizon = today + dt.timedelta(weeks=weeks)
    found = {}
    for year in (today.year, today.year + 1):
        for day, name in us_holidays(year).items():
            if today < day <= horizon:
                found[day] = name
    booked = [today + dt.timedelta(days=i) for i in range(1, BOOKING_DAYS + 1)]
    if not any(d in found and d.weekday() < 5 for d in booked):
        training = next(d for d in booked if d >= today + dt.timedelta(days=7) and d.weekday() == 2)
        found[training] = "Staff training day (center closed)"
    return found


# --- steps ---------------------------------------------------------------------------------


def catalogue(demo) -> None:
    """The protocol catalogue (loaded by a migration; again here after a flush)."""
    from scheduling.demo.people import PROTOCOL_MIX

    codes = [code for code, _ in PROTOCOL_MIX]
    if Protocol.objects.filter(code__in=codes).count() < len(codes):
        from scheduling.catalogue import load_catalogue

        load_catalogue()
    demo.protocols = {p.code: p for p in Protocol.objects.filter(code__in=codes, active=True)}


def center(demo) -> None:
    """Center settings (blank fields filled, a manager's edits kept), hours and closures."""
    from zoneinfo import ZoneInfo

    ensure_roles()
    row = CenterSettings.load()
    slug = settings.CENTER_NAME.lower().split()[0]
    defaults = {
        "name": settings.CENTER_NAME,
        "address": settings.CENTER_ADDRESS,
        "phone": settings.CENTER_PHONE,
        "charge_nurse_email": f"charge.nurse@{slug}.example.org",
        "front_desk_email": f"frontdesk@{slug}.example.org",
    }
    changed = []
    for name, value in defaults.items():
        current = getattr(row, name)
        if not current or (name == "name" and current == "Infusion Center"):
            setattr(row, name, value)
            changed.append(name)
    if changed:
        row.save(update_fields=changed)
    demo.center = row
    demo.tz = ZoneInfo(row.time_zone)
    demo.today = demo.now.astimezone(demo.tz).date()
    for wd in range(7):
        hours = WEEKDAY_HOURS if wd < 5 else SATURDAY_HOURS if wd == 5 else None
        if hours:
            _, made = OpeningHours.objects.get_or_create(
                weekday=wd, defaults={"opens": hours[0], "closes": hours[1]}
            )
            demo.report.created["hours"] += made
    for day, reason in closures_for(demo.today).items():
        _, made = Closure.objects.get_or_create(date=day, defaults={"reason": reason})
        demo.report.created["closures"] += made
    # The holidays of the 90 days of history, so old days are closed where they were.
    for year in {demo.today.year, demo.today.year - 1}:
        for day, reason in us_holidays(year).items():
            if demo.today - dt.timedelta(days=HISTORY_DAYS) <= day < demo.today:
                Closure.objects.get_or_create(date=day, defaults={"reason": reason})


def chairs(demo) -> None:
    for order, (name, area, kind, features) in enumerate(CHAIRS, start=1):
        _, made = Chair.objects.get_or_create(
            name=name,
            defaults={"area": area, "kind": kind, "features": features, "display_order": order},
        )
        demo.report.created["chairs"] += made
    demo.chairs = {c.pk: c for c in Chair.objects.all()}


def nurses(demo) -> None:
    off_start = _next_weekday(demo.today + dt.timedelta(days=7), 2)  # Wed-Fri next week
    for username, name, skills, charge, weekdays, start, end in NURSES:
        nurse, made = Nurse.objects.get_or_create(
            name=name,
            defaults={
                "skills": skills,
                "is_charge_nurse": charge,
                "email": f"{username}@example.org",
                "max_concurrent_patients": 4,
            },
        )
        demo.report.created["nurses"] += made
        if not made:
            continue
        for wd in weekdays:
            s, e = SATURDAY_SHIFT if wd == 5 else (start, end)
            NurseShift.objects.get_or_create(nurse=nurse, weekday=wd, start=s, defaults={"end": e})
        if username == "nurse4":
            NurseTimeOff.objects.create(
                nurse=nurse,
                start_date=off_start,
                end_date=off_start + dt.timedelta(days=2),
                reason="Vacation",
            )
    demo.nurses = {n.pk: n for n in Nurse.objects.all()}


def _next_weekday(after: dt.date, weekday: int) -> dt.date:
    return after + dt.timedelta(days=(weekday - after.weekday()) % 7)


def users(demo) -> None:
    """The demo logins (one password hash for all: hashing is slow on purpose)."""
    groups = {g.name: g for g in Group.objects.filter(name__in=[FRONT_DESK, NURSE, MANAGER])}
    specs = [
        ("manager", MANAGER, "Nora", "Fitzgerald", True),
        ("frontdesk", FRONT_DESK, "Sam", "Rivera", False),
    ]
    specs += [(u, NURSE, name.split()[0], name.split()[-1], False) for u, name, *_ in NURSES]
    found = {}
    exempt, _ = Group.objects.get_or_create(name=OTP_EXEMPT_GROUP)
    hashed = None
    for username, role, first, last, staff in specs:
        user = User.objects.filter(username=username).first()
        if user is None:
            hashed = hashed or make_password(DEMO_PASSWORD)
            user = User.objects.create(
                username=username,
                password=hashed,
                first_name=first,
                last_name=last,
                email=f"{username}@example.org",
                is_staff=staff,
            )
            user.groups.add(groups[role])
            demo.report.created["users"] += 1
        # Demo logins sign in with the password alone, so `make run` stays one step
        # (managers elsewhere must use two-factor; infusion_center/two_factor.py).
        user.groups.add(exempt)
        found[username] = user
    for username, name, *_ in NURSES:
        user = found[username]
        if not Nurse.objects.filter(user=user).exists():
            Nurse.objects.filter(name=name, user__isnull=True).update(user=user)
    demo.users = found
    demo.nurse_users = {n.pk: n.user for n in Nurse.objects.select_related("user")}
    demo.load_resources()


HISTORY_DAYS = 90
