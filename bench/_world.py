"""A generated center for the benchmarks: 30 chairs (4 beds), 8 nurses, 14 open days from
tomorrow with ~80 % of chair time booked, plus patients due for their next dose.

Rows are written directly (bulk_create) with the engine's own timelines, and every session
is checked against the engine's rules while generating (chair and patient never overlap,
inside hours, nurse on shift, under capacity, one start per stagger window, nurse skill), so
the schedule is one the services could have produced, just much faster to build.

Usage from a bench:  world = _world.setup()  (creates/migrates the database in DATABASE_URL,
default postgres://postgres@127.0.0.1:5432/infusion_bench, and rebuilds the data).
"""

from __future__ import annotations

import datetime as dt
import heapq
import os
import random
import sys
from dataclasses import dataclass
from zoneinfo import ZoneInfo

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DEFAULT_DB = "postgres://postgres@127.0.0.1:5432/infusion_bench"
TZ_NAME = "America/New_York"
N_CHAIRS, N_BEDS, N_NURSES, DAYS = 30, 4, 8, 14
TARGET = 0.80
# Protocols and dose numbers the generated sessions use (real catalogue timings).
MIX = [
    ("ocrelizumab_iv", 3),
    ("ocrelizumab_hyaluronidase_sc", 2),
    ("ublituximab", 3),
    ("natalizumab", 5),
    ("natalizumab", 14),
    ("ocrelizumab_iv", 1),
    ("methylprednisolone_relapse", 1),
]


def bootstrap() -> None:
    """Point Django at the bench database (created if missing) and set it up."""
    os.environ.setdefault("DATABASE_URL", DEFAULT_DB)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "infusion_center.settings")
    sys.path.insert(0, ROOT)
    _create_database(os.environ["DATABASE_URL"])
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def _create_database(url: str) -> None:
    """A fresh database each run: the data is regenerated anyway, and a schema left by an older
    checkout's migrations cannot get in the way."""
    if not url.startswith("postgres"):
        return
    import psycopg

    base, name = url.rsplit("/", 1)
    if "bench" not in name:
        # The bench wipes and regenerates the schedule: never on a database that may hold real data.
        raise SystemExit(f"refusing to use database {name!r}: its name must contain 'bench'")
    with psycopg.connect(f"{base}/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')


@dataclass
class World:
    day0: dt.date
    days: int
    tz: ZoneInfo
    sessions: int
    booked_share: float
    token: str
    user_id: int


def build(seed: int = 11) -> World:
    """Wipe the schedule and rebuild the generated center. Deterministic for a seed."""
    from django.contrib.auth.models import Group, User
    from django.db import transaction
    from django.utils import timezone
    from rest_framework.authtoken.models import Token

    from patients.models import Patient, PatientProtocol
    from scheduling import engine
    from scheduling.catalogue import load_catalogue
    from scheduling.engine.constraints import Context, ts
    from scheduling.models import (
        AuditEvent,
        CenterSettings,
        Chair,
        Closure,
        InfusionSession,
        Nurse,
        NurseShift,
        OpeningHours,
        Protocol,
        Reminder,
        Series,
    )
    from scheduling.roles import ensure_roles
    from scheduling.world import dose_rule_specs

    rng = random.Random(seed)
    tz = ZoneInfo(TZ_NAME)
    with transaction.atomic():
        for model in (
            Reminder,
            AuditEvent,
            InfusionSession,
            Series,
            PatientProtocol,
            Patient,
            NurseShift,
            Nurse,
            Chair,
            Closure,
            OpeningHours,
        ):
            model.objects.all().delete()
        load_catalogue()
        ensure_roles()
        center = CenterSettings.load()
        CenterSettings.objects.filter(pk=center.pk).update(
            time_zone=TZ_NAME, turnover_minutes=15, stagger_minutes=15, slot_step_minutes=15
        )
        for wd in range(7):  # open every day so the 14 days are 14 clinic days
            OpeningHours.objects.create(weekday=wd, opens=dt.time(7), closes=dt.time(19))
        chairs = Chair.objects.bulk_create(
            [
                Chair(
                    name=f"C{i:02d}",
                    area="Bay A" if i <= 15 else "Bay B",
                    kind="bed" if i > N_CHAIRS - N_BEDS else "recliner",
                    display_order=i,
                )
                for i in range(1, N_CHAIRS + 1)
            ]
        )
        skills = [
            ["chemo", "rems_natalizumab", "rems_alemtuzumab"],
            ["rems_natalizumab"],
            ["chemo"],
            [],
        ]
        nurses = Nurse.objects.bulk_create(
            [
                Nurse(name=f"Nurse {i}", skills=skills[i % len(skills)], max_concurrent_patients=4)
                for i in range(1, N_NURSES + 1)
            ]
        )
        NurseShift.objects.bulk_create(
            [
                NurseShift(nurse=n, weekday=wd, start=dt.time(7), end=dt.time(19))
                for n in nurses
                for wd in range(7)
            ]
        )
        protocols = {p.code: p for p in Protocol.objects.prefetch_related("dose_rules")}
        timings = {
            (code, dose): engine.rule_for(dose_rule_specs(protocols[code]), dose).timing
            for code, dose in MIX
        }

        day0 = timezone.now().astimezone(tz).date() + dt.timedelta(days=1)
        windows = tuple(
            engine.Interval(
                dt.datetime.combine(day0 + dt.timedelta(d), dt.time(7), tz),
                dt.datetime.combine(day0 + dt.timedelta(d), dt.time(19), tz),
            )
            for d in range(DAYS)
        )
        e_center = engine.Center(TZ_NAME, windows, 15, 15, 15)
        e_chairs = {c.pk: engine.Chair(c.pk, c.name, c.kind) for c in chairs}
        e_nurses = {
            n.pk: engine.Nurse(n.pk, n.name, frozenset(n.skills), 4, windows) for n in nurses
        }
        index = engine.BusyIndex()
        ctx = Context(e_center, e_chairs, e_nurses, index)

        rows = []  # (protocol code, dose, chair id, nurse id, timeline)
        booked = 0
        for w in windows:
            o, c = ts(w.start), ts(w.end)
            heap = [(o + rng.choice([0, 0, 15, 30]) * 60, cid) for cid in e_chairs]
            heapq.heapify(heap)
            while heap:
                t, cid = heapq.heappop(heap)
                if rng.random() > TARGET + 0.12:
                    t += rng.choice([30, 45, 60]) * 60  # an idle gap now and then
                code, dose = rng.choice(MIX)
                timing = timings[(code, dose)]
                skill = protocols[code].required_skill or None
                od = engine.session_minutes(timing) * 60
                placed = None
                while t + od <= c and placed is None:
                    for n in sorted(
                        e_nurses.values(),
                        key=lambda n: (
                            len(index.nurse[n.id].starts) if n.id in index.nurse else 0,
                            n.id,
                        ),
                    ):
                        if (skill is None or skill in n.skills) and ctx.nurse_ok(n, t, t + od):
                            placed = n.id
                            break
                    else:
                        t += 15 * 60
                if placed is None:
                    continue
                start = dt.datetime.fromtimestamp(t, tz)
                tl = engine.build_timeline(start, timing, 15)
                sid = len(rows) + 1
                index.add(
                    engine.BusySession(
                        sid, -sid, cid, placed, tl.start, tl.observation_end, tl.chair_release_at
                    )
                )
                rows.append((code, dose, cid, placed, tl))
                booked += ts(tl.chair_release_at) - ts(tl.start)
                heapq.heappush(heap, (ts(tl.chair_release_at), cid))

        patients = Patient.objects.bulk_create(
            [
                Patient(
                    mrn=f"B{i:06d}",
                    first_name=f"Pat{i}",
                    last_name=f"Bench{i % 97}",
                    date_of_birth=dt.date(1970 + i % 30, 1 + i % 12, 1 + i % 27),
                    email=f"p{i}@example.org",
                    mobile=f"+1617555{i % 10000:04d}",
                )
                for i in range(len(rows) + 400)
            ]
        )
        InfusionSession.objects.bulk_create(
            [
                InfusionSession(
                    patient=patients[i],
                    protocol=protocols[code],
                    dose_number=dose,
                    chair_id=cid,
                    nurse_id=nid,
                    status="booked",
                    start=tl.start,
                    premed_start=tl.premed_start,
                    infusion_start=tl.infusion_start,
                    infusion_end=tl.infusion_end,
                    observation_end=tl.observation_end,
                    chair_release_at=tl.chair_release_at,
                )
                for i, (code, dose, cid, nid, tl) in enumerate(rows)
            ],
            batch_size=1000,
        )
        PatientProtocol.objects.bulk_create(
            [
                PatientProtocol(
                    patient=patients[i], protocol=protocols[code], doses_before_center=dose - 1
                )
                for i, (code, dose, *_rest) in enumerate(rows)
            ],
            batch_size=1000,
        )
        # 400 more patients on Tysabri whose last dose was 10-45 days ago: the due worklist.
        nat = protocols["natalizumab"]
        timing = timings[("natalizumab", 5)]
        past = []
        for k, patient in enumerate(patients[len(rows) :]):
            day = day0 - dt.timedelta(days=11 + k % 35)
            tl = engine.build_timeline(
                dt.datetime.combine(day, dt.time(7, 0), tz) + dt.timedelta(minutes=15 * (k % 40)),
                timing,
                15,
            )
            past.append(
                InfusionSession(
                    patient=patient,
                    protocol=nat,
                    dose_number=4,
                    chair=chairs[k % N_CHAIRS],
                    nurse=nurses[1],
                    status="completed",
                    start=tl.start,
                    premed_start=tl.premed_start,
                    infusion_start=tl.infusion_start,
                    infusion_end=tl.infusion_end,
                    observation_end=tl.observation_end,
                    chair_release_at=tl.chair_release_at,
                    completed_at=tl.observation_end,
                )
            )
        InfusionSession.objects.bulk_create(past, batch_size=1000)
        PatientProtocol.objects.bulk_create(
            [PatientProtocol(patient=p, protocol=nat) for p in patients[len(rows) :]]
        )

        user, _ = User.objects.get_or_create(username="bench_desk")
        user.groups.set([Group.objects.get(name="front_desk")])
        token, _ = Token.objects.get_or_create(user=user)
    capacity = sum(ts(w.end) - ts(w.start) for w in windows) * len(e_chairs)
    return World(day0, DAYS, tz, len(rows), booked / capacity, token.key, user.pk)


def setup(seed: int = 11) -> World:
    bootstrap()
    world = build(seed)
    print(
        f"world: {N_CHAIRS} chairs, {N_NURSES} nurses, {DAYS} days from {world.day0}, "
        f"{world.sessions} sessions, {world.booked_share:.0%} of chair time booked"
    )
    # The same collector settings the web and Celery workers run with (infusion_center/wsgi.py).
    from infusion_center.gc_tuning import tune_gc

    tune_gc()
    return world


def pct(values, p: float) -> float:
    xs = sorted(values)
    return xs[min(len(xs) - 1, int(round(p / 100 * (len(xs) - 1))))]


def cover(patient, protocol) -> None:
    """A treatment order and (for protocols that need one) an authorization for a bench
    patient, so bookings take the production path through orders.coverage."""
    from orders.models import Authorization, TreatmentOrder

    today = dt.date.today()
    TreatmentOrder.objects.create(
        patient=patient,
        protocol=protocol,
        provider="Dr Bench",
        signed_on=today - dt.timedelta(days=30),
        expires_on=today + dt.timedelta(days=365),
        end_date=today + dt.timedelta(days=365),
        dose_mg_per_m2=12 if protocol.dose_unit == "mg/m2" else None,
    )
    if protocol.needs_authorization:
        Authorization.objects.create(
            patient=patient,
            payer="Bench Health",
            member_id="B1",
            number=f"PA-{patient.pk}",
            valid_from=today - dt.timedelta(days=30),
            valid_to=today + dt.timedelta(days=365),
            hcpcs=[protocol.billing_code],
        )
