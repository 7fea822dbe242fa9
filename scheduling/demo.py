"""A believable demo center for `manage.py seed_demo`.

What it builds: the center's settings, opening hours and a holiday; 24 chairs (20 recliners in
bays A-C, 4 beds); 8 nurses with staggered shifts, skills, a charge nurse and a few days of
time off; the demo staff logins; about 150 patients on every protocol of the catalogue with
lab histories (some missing, expired or still pending), REMS authorizations (some lapsed) and
SMS opt-outs; past doses; and two weeks of bookings.

Every number is deterministic (``random.Random(2026)``), relative to today. Past doses are
placed with the pure engine against the doses placed so far, so old days look like real days
too, and recorded with ``services.record_past_dose``. Future sessions are booked only through
``selectors.availability`` and ``services.book_session`` / ``book_series``, so the demo always
satisfies the scheduling rules. Some due patients are left unbooked for the due worklist.

Idempotent: rows are keyed by natural keys (chair name, nurse name, username, weekday, closure
date, MRN) and created only when missing; once demo patients exist, patients, history and
bookings are not touched again. No Faker: `make run` installs runtime dependencies only.
"""

from __future__ import annotations

import bisect
import dataclasses
import datetime as dt
import random
import time
from collections import Counter
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Group, User
from django.db import transaction
from django.utils import timezone

from patients.models import LabResult, LabStatus, Patient, PatientProtocol, normalize_mobile
from scheduling import engine, selectors, services
from scheduling.exceptions import BookingConflict, SchedulingError, SpacingViolation
from scheduling.models import (
    ACTIVE_STATUSES,
    CenterSettings,
    Chair,
    Closure,
    InfusionSession,
    LabRequirement,
    Nurse,
    NurseShift,
    NurseTimeOff,
    OpeningHours,
    Protocol,
)
from scheduling.roles import FRONT_DESK, MANAGER, NURSE, ensure_roles
from scheduling.world import day_bounds, dose_rule_specs, load_world

DEMO_PASSWORD = "demo-pass-2026"
MRN_PREFIX = "DEMO-"
SEED = 2026
DEFAULT_PATIENTS = 150
BOOKING_DAYS = 14
OVERRIDE_REASON = "demo: catch-up"
HISTORY_DAYS = 800  # Lemtrada patients who finished course 2 started about two years ago

# Patients per protocol for the default 150 (scaled for other sizes): Ocrevus IV most,
# Tysabri many, then Briumvi, Zunovo, Tyruko, Lemtrada, IV steroids, mitoxantrone.
PROTOCOL_MIX = (
    ("ocrelizumab_iv", 56),
    ("natalizumab", 42),
    ("ublituximab", 16),
    ("ocrelizumab_hyaluronidase_sc", 10),
    ("natalizumab_sztn", 8),
    ("alemtuzumab", 8),
    ("methylprednisolone_relapse", 8),
    ("mitoxantrone", 2),
)

# --- the center ----------------------------------------------------------------------------

WEEKDAY_HOURS = (dt.time(7), dt.time(19))
SATURDAY_HOURS = (dt.time(8), dt.time(14))


def _chairs() -> list[dict]:
    rows = []
    order = 0
    for bay, count in (("A", 8), ("B", 6), ("C", 6)):
        for i in range(1, count + 1):
            order += 1
            features = []
            if bay == "A" and i <= 4:
                features.append("near_station")
            if bay == "C" and i == count:
                features.append("isolation")
            if i in (1, count):
                features.append("window")
            rows.append(
                {
                    "name": f"{bay}{i}",
                    "area": f"Bay {bay}",
                    "kind": "recliner",
                    "features": features,
                    "display_order": order,
                }
            )
    for i in range(1, 5):
        features = ["near_station"] if i <= 2 else []
        if i == 4:
            features.append("isolation")
        rows.append(
            {
                "name": f"Bed {i}",
                "area": "Beds",
                "kind": "bed",
                "features": features,
                "display_order": 100 + i,
            }
        )
    return rows


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
    ("nurse5", "Tom Becker", [], False, (1, 2, 3, 4, 5), dt.time(8), dt.time(16, 30)),
    (
        "nurse6",
        "Aisha Bello",
        ["chemo", "rems_natalizumab"],
        False,
        MON_FRI,
        dt.time(10, 30),
        dt.time(19),
    ),
    ("nurse7", "Luis Ortega", ["rems_alemtuzumab"], False, MON_FRI, dt.time(10, 30), dt.time(19)),
    (
        "nurse8",
        "Hannah Sato",
        ["rems_natalizumab"],
        False,
        (0, 1, 2, 3, 5),
        dt.time(10, 30),
        dt.time(19),
    ),
)
SATURDAY_SHIFT = (dt.time(8), dt.time(14))  # nurses working Saturday do the short day

FIRST_NAMES = (
    "James",
    "Mary",
    "Robert",
    "Patricia",
    "John",
    "Jennifer",
    "Michael",
    "Linda",
    "David",
    "Elizabeth",
    "William",
    "Barbara",
    "Richard",
    "Susan",
    "Joseph",
    "Jessica",
    "Thomas",
    "Sarah",
    "Christopher",
    "Karen",
    "Daniel",
    "Lisa",
    "Matthew",
    "Nancy",
    "Anthony",
    "Betty",
    "Mark",
    "Sandra",
    "Steven",
    "Ashley",
    "Andrew",
    "Emily",
    "Joshua",
    "Michelle",
    "Kevin",
    "Amanda",
    "Brian",
    "Melissa",
    "George",
    "Stephanie",
    "Timothy",
    "Rebecca",
    "Jason",
    "Laura",
    "Ryan",
    "Rachel",
    "Jacob",
    "Megan",
    "Nicole",
    "Olivia",
    "Sofia",
    "Camila",
    "Mateo",
    "Wei",
    "Mei",
    "Arjun",
    "Fatima",
    "Omar",
    "Yuki",
    "Chloe",
    "Grace",
    "Noah",
    "Hannah",
    "Diego",
    "Ana",
)
LAST_NAMES = (
    "Smith",
    "Johnson",
    "Williams",
    "Brown",
    "Jones",
    "Garcia",
    "Miller",
    "Davis",
    "Rodriguez",
    "Martinez",
    "Hernandez",
    "Lopez",
    "Gonzalez",
    "Wilson",
    "Anderson",
    "Thomas",
    "Taylor",
    "Moore",
    "Jackson",
    "Martin",
    "Lee",
    "Perez",
    "Thompson",
    "White",
    "Harris",
    "Sanchez",
    "Clark",
    "Ramirez",
    "Lewis",
    "Robinson",
    "Walker",
    "Young",
    "Allen",
    "King",
    "Wright",
    "Scott",
    "Torres",
    "Nguyen",
    "Hill",
    "Flores",
    "Green",
    "Adams",
    "Nelson",
    "Baker",
    "Hall",
    "Rivera",
    "Campbell",
    "Mitchell",
    "Carter",
    "Roberts",
    "Chen",
    "Patel",
    "Kowalski",
    "Murphy",
    "O'Brien",
    "Schmidt",
    "Novak",
    "Haddad",
    "Tanaka",
    "Kim",
    "Singh",
    "Cohen",
    "Rossi",
)
# Fictional 555-01xx numbers in real area codes: valid for phonenumbers, never a real phone.
AREA_CODES = ("617", "857", "508", "781", "978", "774", "413", "212", "312", "310")


# --- holidays ------------------------------------------------------------------------------


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


# --- report ----------------------------------------------------------------------------------


@dataclass
class SeedReport:
    already_seeded: bool = False
    created: Counter = field(default_factory=Counter)
    past_doses: int = 0
    booked_sessions: int = 0
    booked_units: int = 0
    booked_today: int = 0
    confirmed: int = 0
    skipped: Counter = field(default_factory=Counter)
    left_unbooked: int = 0
    worklist: int = 0
    utilization: float = 0.0
    seconds: float = 0.0

    def lines(self) -> list[str]:
        c = self.created
        out = [
            f"Chairs {Chair.objects.count()} ({Chair.objects.filter(kind='bed').count()} beds), "
            f"nurses {Nurse.objects.count()}, closures {Closure.objects.count()}, "
            f"staff logins created {c['users']}.",
            f"Patients created {c['patients']}, lab results {c['labs']}, past doses {self.past_doses}.",
            f"Booked {self.booked_sessions} sessions in {self.booked_units} bookings over the next "
            f"{BOOKING_DAYS} days ({self.booked_today} today, {self.confirmed} confirmed).",
            "Skipped: "
            + (", ".join(f"{k} {v}" for k, v in sorted(self.skipped.items())) or "none")
            + f"; left unbooked on purpose {self.left_unbooked}.",
            f"Due worklist (28 days): {self.worklist} patients. Chair time booked on open days of "
            f"the next two weeks: {self.utilization:.0%}.",
            f"Done in {self.seconds:.1f} s.",
        ]
        return out


# --- seeding ---------------------------------------------------------------------------------


@dataclass
class Plan:
    """What one demo patient's story is: protocol, where they are in it, what to book."""

    patient: Patient
    protocol: Protocol
    scenario: str  # new | maintenance | course2 | finished
    due_offset: int  # days from today the next dose is due (history is built backwards)
    last_dose: int  # highest dose given (0 for a new start)
    history_units: int
    book: bool
    today: bool = False
    option: str = "standard"
    series_length: int | None = None
    labs: str = "current"  # current | expired | missing | ordered
    treatment: PatientProtocol | None = None


def is_seeded() -> bool:
    return Patient.objects.filter(mrn__startswith=MRN_PREFIX).exists()


def seed(*, patients: int = DEFAULT_PATIENTS, stdout=None) -> SeedReport:
    """Seed the demo center once. A second call finds the demo patients and does nothing."""
    started = time.monotonic()
    report = SeedReport()
    if is_seeded():
        report.already_seeded = True
        return report
    with transaction.atomic():
        _Seeder(patients=patients, report=report, stdout=stdout).run()
    report.seconds = time.monotonic() - started
    return report


class _Seeder:
    def __init__(self, *, patients: int, report: SeedReport, stdout=None):
        self.n = patients
        self.report = report
        self.stdout = stdout
        self.rng = random.Random(SEED)
        self.now = timezone.now()
        self._specs: dict[int, list[engine.DoseRuleSpec]] = {}

    def specs(self, protocol: Protocol) -> list[engine.DoseRuleSpec]:
        cached = self._specs.get(protocol.pk)
        if cached is None:
            cached = self._specs[protocol.pk] = dose_rule_specs(protocol)
        return cached

    def say(self, text: str) -> None:
        if self.stdout is not None:
            self.stdout.write(text)

    def run(self) -> None:
        ensure_roles()
        self.protocols = self._catalogue()
        self.center = self._center()
        self.tz = ZoneInfo(self.center.time_zone)
        self.today = self.now.astimezone(self.tz).date()
        self._hours_and_closures()
        self.chairs = self._chairs()
        self.nurses = self._nurses()
        self.users = self._users()
        self.say("Center, chairs, nurses and logins ready; creating patients and their history...")
        plans = self._patients()
        self._history(plans)
        self.say("History recorded; booking the next two weeks through the booking services...")
        self._book(plans)
        self._summarize()

    # -- center ------------------------------------------------------------------------------

    def _catalogue(self) -> dict[str, Protocol]:
        codes = [code for code, _ in PROTOCOL_MIX]
        if Protocol.objects.filter(code__in=codes).count() < len(codes):
            from scheduling.catalogue import load_catalogue

            load_catalogue()
        found = {p.code: p for p in Protocol.objects.filter(code__in=codes, active=True)}
        return found

    def _center(self) -> CenterSettings:
        center = CenterSettings.load()
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
            # Fill what is blank (or still the model default); a manager's edits are kept.
            current = getattr(center, name)
            if not current or (name == "name" and current == "Infusion Center"):
                setattr(center, name, value)
                changed.append(name)
        if changed:
            center.save(update_fields=changed)
        return center

    def _hours_and_closures(self) -> None:
        for wd in range(7):
            hours = WEEKDAY_HOURS if wd < 5 else SATURDAY_HOURS if wd == 5 else None
            if hours:
                _, made = OpeningHours.objects.get_or_create(
                    weekday=wd, defaults={"opens": hours[0], "closes": hours[1]}
                )
                self.report.created["hours"] += made
        for day, reason in closures_for(self.today).items():
            _, made = Closure.objects.get_or_create(date=day, defaults={"reason": reason})
            self.report.created["closures"] += made

    def _chairs(self) -> dict[int, Chair]:
        for row in _chairs():
            name = row.pop("name")
            _, made = Chair.objects.get_or_create(name=name, defaults=row)
            self.report.created["chairs"] += made
        return {c.pk: c for c in Chair.objects.all()}

    def _nurses(self) -> dict[int, Nurse]:
        off_start = self._next_weekday(self.today + dt.timedelta(days=7), 2)  # Wed-Fri next week
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
            self.report.created["nurses"] += made
            if not made:
                continue
            for wd in weekdays:
                s, e = SATURDAY_SHIFT if wd == 5 else (start, end)
                NurseShift.objects.get_or_create(
                    nurse=nurse, weekday=wd, start=s, defaults={"end": e}
                )
            if username == "nurse4":
                NurseTimeOff.objects.create(
                    nurse=nurse,
                    start_date=off_start,
                    end_date=off_start + dt.timedelta(days=2),
                    reason="Vacation",
                )
        return {n.pk: n for n in Nurse.objects.all()}

    @staticmethod
    def _next_weekday(after: dt.date, weekday: int) -> dt.date:
        return after + dt.timedelta(days=(weekday - after.weekday()) % 7)

    def _users(self) -> dict[str, User]:
        groups = {g.name: g for g in Group.objects.filter(name__in=[FRONT_DESK, NURSE, MANAGER])}
        specs = [
            ("manager", MANAGER, "Nora", "Fitzgerald", True),
            ("frontdesk", FRONT_DESK, "Sam", "Rivera", False),
        ]
        specs += [(u, NURSE, name.split()[0], name.split()[-1], False) for u, name, *_ in NURSES]
        users = {}
        hashed = None  # hashing is slow on purpose: do it once for all demo logins
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
                self.report.created["users"] += 1
            users[username] = user
        for username, name, *_ in NURSES:
            user = users[username]
            if not Nurse.objects.filter(user=user).exists():
                Nurse.objects.filter(name=name, user__isnull=True).update(user=user)
        return users

    # -- patients ----------------------------------------------------------------------------

    def _counts(self) -> list[tuple[str, int]]:
        """Largest-remainder split of n over the protocol mix; every protocol gets at least one
        patient when n allows."""
        mix = [(c, w) for c, w in PROTOCOL_MIX if c in self.protocols]
        total = sum(w for _, w in mix)
        raw = [(c, self.n * w / total) for c, w in mix]
        counts = {c: int(x) for c, x in raw}
        if self.n >= len(mix):
            for c in counts:
                counts[c] = max(1, counts[c])
        rest = self.n - sum(counts.values())
        for c, _ in sorted(raw, key=lambda cx: cx[1] - int(cx[1]), reverse=True):
            if rest <= 0:
                break
            counts[c] += 1
            rest -= 1
        while rest < 0:  # the minimum of one took too many: take from the biggest
            big = max(counts, key=counts.get)
            counts[big] -= 1
            rest += 1
        return [(c, counts[c]) for c, _ in mix]

    def _patients(self) -> list[Plan]:
        rng = self.rng
        plans = []
        index = 0
        for code, count in self._counts():
            protocol = self.protocols[code]
            for i in range(count):
                index += 1
                patient = self._patient(index, code)
                plan = self._plan(patient, protocol, i)
                treatment = PatientProtocol.objects.create(
                    patient=patient,
                    protocol=protocol,
                    started_on=None,  # set after the history is recorded
                    shorter_infusion_eligible=plan.option == "shorter"
                    or (code == "ocrelizumab_iv" and rng.random() < 0.2),
                    rems_authorized_until=self._rems_until(protocol, i),
                    doses_before_center=0,
                )
                plan.treatment = treatment
                plans.append(plan)
                self._labs(plan)
        self.report.created["patients"] = len(plans)
        return plans

    def _patient(self, index: int, code: str) -> Patient:
        rng = self.rng
        first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
        age_days = rng.randint(22 * 365, 68 * 365)
        tz = rng.choices(
            ["America/New_York", "America/Chicago", "America/Los_Angeles"], [88, 8, 4]
        )[0]
        email_only = index % 17 == 5
        mobile = (
            ""
            if email_only
            else normalize_mobile(
                f"+1{AREA_CODES[(index - 1) // 100 % len(AREA_CODES)]}5550{100 + (index - 1) % 100}"
            )
        )
        opted_out = not email_only and index % 10 == 3
        channel = "email" if email_only else rng.choices(["both", "email", "sms"], [60, 20, 20])[0]
        local = "".join(ch for ch in f"{first}.{last}".lower() if ch.isalnum() or ch == ".")
        patient = Patient.objects.create(
            mrn=f"{MRN_PREFIX}{index:04d}",
            first_name=first,
            last_name=last,
            date_of_birth=self.today - dt.timedelta(days=age_days),
            email=f"{local}{index}@example.org",
            mobile=mobile,
            preferred_channel=channel,
            sms_consent=not email_only,
            sms_opted_out_at=self.now - dt.timedelta(days=rng.randint(5, 200))
            if opted_out
            else None,
            time_zone=tz,
            preferred_hour=rng.choice([8, 9, 10, 11, 13, 14]) if rng.random() < 0.35 else None,
            body_surface_area=round(rng.uniform(1.55, 2.1), 2) if code == "mitoxantrone" else None,
        )
        return patient

    def _rems_until(self, protocol: Protocol, i: int) -> dt.date | None:
        if not protocol.rems_program:
            return None
        if i % 7 == 2:  # lapsed: the roster shows "not authorized" until someone re-verifies
            return self.today - dt.timedelta(days=self.rng.randint(2, 20))
        return self.today + dt.timedelta(days=self.rng.randint(30, 170))

    def _window_late(self, protocol: Protocol) -> int:
        specs = self.specs(protocol)
        return max(
            (r.window_late_days for r in specs if r.interval_days and not r.joins_series), default=0
        )

    def _plan(self, patient: Patient, protocol: Protocol, i: int) -> Plan:
        """The i-th patient of a protocol: a fixed pattern (so small demos still show every
        case) with random details."""
        rng = self.rng
        code = protocol.code
        slot = i % 10
        if slot <= 6:
            due = rng.randint(0, BOOKING_DAYS - 1)  # due in the two booked weeks
        elif slot == 7:  # overdue: past the end of the window
            due = -self._window_late(protocol) - rng.randint(2, 10)
        elif slot == 8:
            due = rng.randint(BOOKING_DAYS + 1, 40)
        else:
            due = rng.randint(41, 160)
        # Book most of those due in the two weeks; leave some (and half the overdue) for the
        # coordinator's worklist.
        book = slot <= 5 or (slot == 7 and i % 20 == 7)
        labs = {1: "expired", 3: "missing", 4: "ordered"}.get(i % 6, "current")
        plan = Plan(
            patient=patient,
            protocol=protocol,
            scenario="maintenance",
            due_offset=due,
            last_dose=0,
            history_units=2,
            book=book,
            labs=labs,
        )
        plan.today = book and slot in (0, 2) and i % 4 == 0
        if plan.today:  # due in the last few days: squeezed in today, inside the window
            plan.due_offset = rng.randint(-2, 0)

        if code in ("ocrelizumab_iv", "ublituximab"):
            if i % 12 == 11:  # a new start: the two induction doses booked as one series
                plan.scenario, plan.history_units, plan.book = "new", 0, True
            else:
                plan.last_dose = 2 if i % 9 == 4 else rng.randint(3, 10)
            if code == "ocrelizumab_iv" and i % 4 == 1 and plan.scenario != "new":
                plan.option = "shorter"
        elif code in ("natalizumab", "natalizumab_sztn"):
            if i % 15 == 14:
                plan.scenario, plan.history_units = "new", 0
            else:
                plan.last_dose = rng.choice(
                    [rng.randint(2, 11), rng.randint(12, 70), rng.randint(12, 70)]
                )
                plan.history_units = 3
            plan.due_offset = min(plan.due_offset, 27)  # every 4 weeks: last dose was before today
        elif code == "ocrelizumab_hyaluronidase_sc":
            plan.last_dose = rng.randint(1, 6)
        elif code == "mitoxantrone":
            plan.last_dose, plan.history_units = rng.randint(2, 6), 3
            plan.due_offset = min(plan.due_offset, 90)
            plan.labs = "missing" if i == 0 else plan.labs  # the LVEF is what nurses chase
        elif code == "alemtuzumab":
            kind = ("course2", "finished", "new", "finished", "course2")[i % 5]
            plan.scenario = kind
            plan.history_units = {"course2": 1, "finished": 2, "new": 0}[kind]
            plan.last_dose = {"course2": 5, "finished": 8, "new": 0}[kind]
            plan.book = kind in ("course2", "new") and i % 10 != 4
            plan.today = False
            if kind == "course2":
                plan.due_offset = rng.randint(0, 9) if plan.book else rng.randint(15, 30)
        elif code == "methylprednisolone_relapse":
            # A relapse: ordered this week, a 3-day course (sometimes 5), nothing before.
            plan.scenario, plan.history_units, plan.due_offset = "new", 0, 0
            plan.series_length = 5 if i % 3 == 2 else 3
            plan.book = i % 4 != 3
            plan.today = False
        if plan.scenario == "new" and code != "methylprednisolone_relapse":
            plan.today = False
        return plan

    # -- labs --------------------------------------------------------------------------------

    def _labs(self, plan: Plan) -> None:
        """Results for each test the protocol asks for. One test is spoiled according to
        plan.labs (expired, missing or drawn but not resulted); the rest are in and current."""
        rng = self.rng
        reqs = list(
            LabRequirement.objects.filter(protocol=plan.protocol)
            .select_related("lab_test")
            .order_by("lab_test__code")
        )
        if not reqs:
            return
        # The spoiled test: one that matters for the next dose (periodic/each dose first).
        gating = [r for r in reqs if r.gate in ("periodic", "each_dose")] or reqs
        spoiled = gating[plan.patient.pk % len(gating)] if plan.labs != "current" else None
        due_day = self.today + dt.timedelta(days=max(plan.due_offset, 1))
        rows = []
        for req in reqs:
            max_age = req.max_age_days or (
                self.center.each_dose_lab_max_age_days
                if req.gate in ("each_dose", "course_start")
                else None
            )
            mode = plan.labs if req is spoiled else "current"
            if req.gate == "first_dose" and plan.scenario != "new" and mode != "current":
                mode = "current"
            if mode == "missing":
                continue
            if mode == "ordered":
                drawn = self.today - dt.timedelta(days=rng.randint(0, 3))
                rows.append(
                    LabResult(
                        patient=plan.patient,
                        lab_test=req.lab_test,
                        collected_on=drawn,
                        status=LabStatus.ORDERED,
                        source="Quest Diagnostics",
                    )
                )
                continue
            if mode == "expired" and max_age:
                drawn = due_day - dt.timedelta(days=max_age + rng.randint(5, 60))
            elif max_age:
                # Recent enough to still be valid on the due day.
                drawn = due_day - dt.timedelta(days=rng.randint(3, max(4, max_age - 3)))
                drawn = min(drawn, self.today - dt.timedelta(days=1))
            elif req.gate == "first_dose" and plan.scenario != "new":
                drawn = self.today - dt.timedelta(days=rng.randint(400, 1500))  # baseline at start
            else:
                drawn = self.today - dt.timedelta(days=rng.randint(5, 40))
            resulted = drawn + dt.timedelta(days=rng.randint(0, 2))
            rows.append(
                LabResult(
                    patient=plan.patient,
                    lab_test=req.lab_test,
                    collected_on=drawn,
                    status=LabStatus.RESULTED,
                    resulted_on=min(resulted, self.today),
                    value=self._value(req.lab_test.code),
                    flag="normal",
                    source=rng.choice(["Quest Diagnostics", "Labcorp", "In-house"]),
                )
            )
        LabResult.objects.bulk_create(rows)
        self.report.created["labs"] += len(rows)

    def _value(self, code: str) -> str:
        rng = self.rng
        return {
            "anti_jcv": f"Negative (index {rng.uniform(0.1, 0.39):.2f})",
            "lvef": f"{rng.randint(55, 68)}%",
            "hbv_screening": "HBsAg negative, anti-HBc negative",
            "pregnancy_test": "Negative",
            "brain_mri": "No new lesions",
            "skin_exam": "No suspicious lesions",
            "vzv_antibodies": "Positive (immune)",
            "tb_screening": "QuantiFERON negative",
        }.get(code, "Within normal limits")

    # -- history -------------------------------------------------------------------------------

    def _history(self, plans: list[Plan]) -> None:
        """Past doses: walk each patient's protocol forward from a start date chosen so that
        the next dose falls due `due_offset` days from today, and place each unit (a dose or a
        course) on a real chair with a real nurse with the engine, against the doses placed so
        far, so past days obey the same rules as the future ones."""
        first = self.today - dt.timedelta(days=HISTORY_DAYS)
        world = load_world(date_from=first, date_to=self.today - dt.timedelta(days=1))
        self.past_world = world
        self.past_busy = engine.BusyIndex()
        self.past_id = 0
        by_user = self.users["nurse1"]
        for plan in sorted(plans, key=lambda p: p.patient.pk):
            if plan.history_units == 0:
                continue
            specs = self.specs(plan.protocol)
            units = self._units(specs, plan)
            if not units:
                continue
            start_day = self._start_day(specs, plan, units)
            history: list[engine.GivenDose] = []
            day = start_day
            for legs in units:
                slot = self._past_slot(plan, legs, day)
                if slot is None:
                    break
                for p in slot.placements:
                    services.record_past_dose(
                        patient=plan.patient,
                        protocol=plan.protocol,
                        dose_number=p.dose_number,
                        start=p.timeline.start,
                        chair=self.chairs[p.chair_id],
                        nurse=self.nurses[p.nurse_id],
                        by=by_user,
                        # The induction doses have no shorter option: recorded as standard.
                        option=plan.option
                        if any(r.option == plan.option and r.covers(p.dose_number) for r in specs)
                        else "standard",
                    )
                    history.append(
                        engine.GivenDose(p.dose_number, p.timeline.start.astimezone(self.tz).date())
                    )
                    self.report.past_doses += 1
                nxt = engine.next_due(specs, history)
                if nxt is None or nxt.due_date is None:
                    break
                # Most doses on time, some a few days into the window.
                late = min(nxt.rule.window_late_days, self.rng.choice([0, 0, 0, 1, 2, 3]))
                day = nxt.due_date + dt.timedelta(days=late)
            if history:
                first_local = min(g.on for g in history)
                plan.treatment.started_on = first_local
                plan.treatment.doses_before_center = history[0].dose_number - 1
                plan.treatment.save(update_fields=["started_on", "doses_before_center"])

    def _units(self, specs, plan: Plan) -> list[tuple[engine.Leg, ...]]:
        """The last `history_units` courses/doses ending with plan.last_dose."""
        starts = []
        n = plan.last_dose
        while n >= 1 and len(starts) < plan.history_units:
            s = engine.series_start_dose(specs, n, plan.option)
            starts.append(s)
            n = s - 1
        units = []
        for s in reversed(starts):
            legs = engine.series_legs(specs, s, plan.option)
            units.append(tuple(leg for leg in legs if leg.dose_number <= plan.last_dose))
        return units

    def _start_day(self, specs, plan: Plan, units) -> dt.date:
        """Dry run with on-time doses from day 0 to find where the next dose would fall, then
        shift so it falls `due_offset` days from today."""
        origin = dt.date(2000, 1, 3)
        history = []
        day = origin
        for legs in units:
            history += [
                engine.GivenDose(leg.dose_number, day + dt.timedelta(days=leg.day_offset))
                for leg in legs
            ]
            nxt = engine.next_due(specs, history)
            if nxt is None or nxt.due_date is None:
                # Finished (Lemtrada after course 2): the last course about a year ago.
                span = (history[-1].on - origin).days
                return self.today - dt.timedelta(days=span + self.rng.randint(200, 330))
            day = nxt.due_date
        return self.today + dt.timedelta(days=plan.due_offset) - (day - origin)

    def _past_slot(self, plan: Plan, legs, day: dt.date):
        """The best past slot for a unit on `day` or the nearest day that has one."""
        protocol = plan.protocol
        last_ok = self.today - dt.timedelta(days=1 + max(leg.day_offset for leg in legs))
        day = min(day, last_ok)
        request = engine.SlotRequest(
            patient_id=plan.patient.pk,
            legs=tuple(legs),
            required_skill=protocol.required_skill or None,
            required_chair_kind=protocol.required_chair_kind or None,
            date_from=day - dt.timedelta(days=4),
            date_to=min(day + dt.timedelta(days=4), last_ok),
            target_date=day,
            preferred_hour=plan.patient.preferred_hour,
            limit=1,
        )
        center, nurses = self._past_span(
            request.date_from,
            request.date_to + dt.timedelta(days=max(leg.day_offset for leg in legs)),
        )
        slots = engine.find_slots(
            center=center,
            chairs=self.past_world.chairs,
            nurses=nurses,
            busy=self.past_busy,
            request=request,
        )
        if not slots:
            return None
        for p in slots[0].placements:
            self.past_id -= 1
            t = p.timeline
            self.past_busy.add(
                engine.BusySession(
                    self.past_id,
                    plan.patient.pk,
                    p.chair_id,
                    p.nurse_id,
                    t.start,
                    t.observation_end,
                    t.chair_release_at,
                )
            )
        return slots[0]

    def _past_span(self, first: dt.date, last: dt.date):
        """The two-year past world cut down to a few days: the engine then walks only the
        windows and shifts that matter (otherwise most of the seeding time)."""
        lo = dt.datetime.combine(first, dt.time(0), tzinfo=self.tz)
        hi = dt.datetime.combine(last + dt.timedelta(days=1), dt.time(0), tzinfo=self.tz)
        w = self.past_world
        if not hasattr(self, "_past_starts"):
            self._past_starts = {None: [i.start for i in w.center.open_windows]}
            self._past_starts.update({k: [i.start for i in n.shifts] for k, n in w.nurses.items()})

        def cut(intervals, key):
            starts = self._past_starts[key]
            # Windows and shifts are shorter than a day: start a day early to catch any overlap.
            a = bisect.bisect_left(starts, lo - dt.timedelta(days=1))
            b = bisect.bisect_left(starts, hi)
            return tuple(intervals[a:b])

        center = dataclasses.replace(w.center, open_windows=cut(w.center.open_windows, None))
        nurses = {k: dataclasses.replace(n, shifts=cut(n.shifts, k)) for k, n in w.nurses.items()}
        return center, nurses

    # -- booking -------------------------------------------------------------------------------

    def _book(self, plans: list[Plan]) -> None:
        """Book the next two weeks through selectors.availability and the booking services."""
        by_patient = {p.patient.pk: p for p in plans}
        last_day = self.today + dt.timedelta(days=BOOKING_DAYS)
        due = selectors.due_worklist(today=self.today, horizon_days=BOOKING_DAYS)
        todo = []
        for item in due:
            plan = by_patient.get(item.patient.pk)
            if plan is None or item.protocol.pk != plan.protocol.pk:
                continue
            if not plan.book:
                self.report.left_unbooked += 1
                continue
            specs = self.specs(plan.protocol)
            legs = engine.series_legs(specs, item.dose_number, plan.option, plan.series_length)
            todo.append((plan, item, legs))
        # Courses first (they need several free days in a row), then the most overdue.
        todo.sort(key=lambda t: (-len(t[2]), -t[1].overdue_days, t[1].due_date, t[0].patient.pk))
        frontdesk = self.users["frontdesk"]
        for plan, item, legs in todo:
            self._book_one(plan, item, legs, last_day, frontdesk)

    def _book_one(self, plan: Plan, item, legs, last_day: dt.date, by) -> None:
        tomorrow = self.today + dt.timedelta(days=1)
        # Never before the window opens or the minimum interval: an early dose would need an
        # override reason no coordinator would give. Late ones get the catch-up reason.
        not_before = max(d for d in (item.window_start, item.earliest_date, self.today) if d)
        attempts = []
        if plan.today and not_before == self.today:
            attempts.append((self.today, self.today))
        attempts.append((max(not_before, tomorrow), last_day))
        series = len(legs) > 1
        for date_from, date_to in attempts:
            if date_from > date_to:
                continue
            slots = selectors.availability(
                patient=plan.patient,
                protocol=plan.protocol,
                dose_number=item.dose_number,
                date_from=date_from,
                date_to=date_to,
                limit=3,
                option=plan.option,
                series=series,
                length=plan.series_length if series else None,
            )
            for slot in slots:
                if self._try_book(plan, item, legs, slot, by):
                    return
        self.report.skipped["no free slot"] += 1

    def _try_book(self, plan: Plan, item, legs, slot, by) -> bool:
        """Book a slot; only when the service says the day is outside the dose's window is it
        booked again with the demo's override reason (as a coordinator would)."""
        try:
            try:
                sessions = self._book_slot(plan, item, legs, slot, by, "")
            except SpacingViolation as exc:
                if exc.field != "override_reason":
                    raise
                sessions = self._book_slot(plan, item, legs, slot, by, OVERRIDE_REASON)
        except BookingConflict:
            self.report.skipped["conflict"] += 1
            return False
        except SchedulingError as exc:
            self.report.skipped[f"refused ({type(exc).__name__})"] += 1
            return False
        day = slot.start.astimezone(self.tz).date()
        self.report.booked_units += 1
        self.report.booked_sessions += len(sessions)
        if day == self.today:
            self.report.booked_today += 1
        # Patients who booked soon have mostly confirmed from their link already.
        first = sessions[0]
        if (day - self.today).days <= 3 and plan.patient.pk % 2 == 0:
            services.confirm(session=first, actor_label="patient link")
            self.report.confirmed += 1
        return True

    def _book_slot(self, plan: Plan, item, legs, slot, by, reason: str) -> list[InfusionSession]:
        if len(legs) > 1:
            series = services.book_series(
                patient=plan.patient,
                protocol=plan.protocol,
                start=slot.start,
                by=by,
                first_dose=item.dose_number,
                option=plan.option,
                length=plan.series_length,
                override_reason=reason,
            )
            return list(series.sessions.order_by("start"))
        p = slot.placements[0]
        return [
            services.book_session(
                patient=plan.patient,
                protocol=plan.protocol,
                dose_number=item.dose_number,
                start=slot.start,
                by=by,
                chair=self.chairs[p.chair_id],
                nurse=self.nurses[p.nurse_id],
                option=plan.option,
                override_reason=reason,
            )
        ]

    # -- summary -------------------------------------------------------------------------------

    def _summarize(self) -> None:
        self.report.worklist = len(selectors.due_worklist(today=self.today))
        first = self.today + dt.timedelta(days=1)
        last = self.today + dt.timedelta(days=BOOKING_DAYS)
        world = load_world(date_from=first, date_to=last)
        open_seconds = sum((w.end - w.start).total_seconds() for w in world.center.open_windows)
        capacity = open_seconds * len(world.chairs)
        used = 0.0
        for start, release in InfusionSession.objects.filter(
            status__in=ACTIVE_STATUSES,
            start__gte=day_bounds(first, self.tz)[0],
            start__lt=day_bounds(last, self.tz)[1],
        ).values_list("start", "chair_release_at"):
            used += (release - start).total_seconds()
        self.report.utilization = used / capacity if capacity else 0.0
