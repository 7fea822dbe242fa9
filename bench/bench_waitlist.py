"""Waitlist backfill, simulated over a generated month through the real services (issue 13).

The center: 12 chairs (2 beds), 4 nurses (2 with the natalizumab REMS skill), open Mon-Fri
07:00-19:00. Four weeks of maintenance doses (natalizumab, ocrelizumab IV and SC, ublituximab)
are booked through scheduling.services.book_session to ~85 % of chair time, each patient with
the previous dose on file so spacing is real. About 10 % of patients are on the waitlist: most
are booked later than their due date and would come earlier (entry from max(now, due) to the
day before their booking), some new patients (dose 1, no booking); half only come mornings or
on some weekdays, notice 4 h / 24 h / 48 h. The list stays at about that size all month:
each weekday at 08:00 patients join it as others left it (booked, window passed), drawn the
same way (--static-waitlist: nobody joins, and the list runs dry in week 3).

Then the clock (time-machine) walks the month event by event. About 12 % of sessions are
cancelled (scheduling.services.cancel, which records the freed time), lead times drawn as in
an outpatient infusion center: 45 % a week or more ahead, 25 % 2-7 days, 15 % 1-2 days, 10 %
2-24 h, 5 % under 2 h. The waitlist dispatcher (waitlist.dispatcher.run_cycle, exactly what
beat runs) is run after every event, at every hold expiry and at the end of quiet hours. Each
patient offered a slot accepts with probability p after 2-25 minutes (through
waitlist.services.accept_offer, which moves their booking), else declines with probability
0.35 after 5-40 minutes, else never answers (the 30-minute hold expires; no hold time runs in
quiet hours 21:00-09:00). The beat would run a cycle every minute; this walk runs them only
when something can have changed, so "minutes to fill" may read up to a minute short.

Figures, at p = 10 % and 30 %: share of freed chair-hours refilled (cancellations at least 24 h
ahead: the target is >= 60 %; all cancellations; and the chain of moved bookings each fill
frees; the remainders a shorter visit leaves count towards the time they came from), offers
per fill, minutes from cancel to fill (median, p90). The waitlist settings are the product's
defaults unless --at-once / --max-offers say otherwise; the run prints them.

Cost: every booking, cancel, offer and answer goes through the real services on PostgreSQL:
building 4 weeks takes about a minute, the walk 4-6 minutes per acceptance rate on the shared
2-core machine. --reuse-base walks the month an earlier run built again. For a partial run,
read the figures straight from the database: waitlist_freedslot (reason, parent, status,
start, end, created_at, filled_at, filled_session) and waitlist_offer.

Run: .venv/bin/python bench/bench_waitlist.py   (DATABASE_URL defaults to .../infusion_waitlist_bench)
     options: --accept 0.1,0.3  --weeks 4  --at-once 3  --max-offers 40  --seed 7  --reuse-base
              --static-waitlist
"""

from __future__ import annotations

import argparse
import datetime as dt
import heapq
import os
import random
import statistics
import sys
import time
from zoneinfo import ZoneInfo

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/infusion_waitlist_bench")
os.environ.setdefault("SMS_BACKEND", "locmem")
os.environ.setdefault("EMAIL_BACKEND", "django.core.mail.backends.locmem.EmailBackend")
os.environ.setdefault("LOG_LEVEL", "WARNING")
import _world  # noqa: E402

N_CHAIRS, N_BEDS = 12, 2
WEEKS = 4
FILL = 0.85
CANCEL_RATE = 0.12
WAITLIST_SHARE = 0.10
NEW_PATIENT_SHARE = 0.03  # of the waitlist target, dose-1 patients with no booking at all
# (protocol, dose number, weight): maintenance doses, realistic chair times from the catalogue.
MIX = [
    ("natalizumab", 14, 40),
    ("natalizumab", 6, 10),
    ("ocrelizumab_iv", 4, 20),
    ("ocrelizumab_hyaluronidase_sc", 3, 12),
    ("ublituximab", 4, 18),
]
LEADS = [  # (share, min hours, max hours)
    (0.45, 7 * 24, 21 * 24),
    (0.25, 48, 7 * 24),
    (0.15, 24, 48),
    (0.10, 2, 24),
    (0.05, 0.5, 2),
]


def build_center(rng: random.Random, start: dt.datetime):
    """Chairs, nurses, hours; the month booked through the services; the waitlist."""
    from django.contrib.auth.models import User

    from patients.models import Patient, PatientProtocol
    from scheduling import services
    from scheduling.catalogue import load_catalogue
    from scheduling.exceptions import BookingConflict, SchedulingError
    from scheduling.models import (
        CenterSettings,
        Chair,
        Nurse,
        NurseShift,
        OpeningHours,
        Protocol,
    )
    from scheduling.roles import ensure_roles
    from scheduling.world import dose_rule_specs
    from waitlist import services as wl
    from waitlist.models import WaitlistSettings

    load_catalogue()
    ensure_roles()
    center = CenterSettings.load()
    CenterSettings.objects.filter(pk=center.pk).update(time_zone=_world.TZ_NAME)
    for wd in range(5):
        OpeningHours.objects.create(weekday=wd, opens=dt.time(7), closes=dt.time(19))
    chairs = [
        Chair.objects.create(
            name=f"C{i:02d}", kind="bed" if i > N_CHAIRS - N_BEDS else "recliner", display_order=i
        )
        for i in range(1, N_CHAIRS + 1)
    ]
    for i, skills in enumerate(
        [["rems_natalizumab", "chemo"], ["rems_natalizumab"], [], []], start=1
    ):
        nurse = Nurse.objects.create(name=f"Nurse {i}", skills=skills, max_concurrent_patients=4)
        for wd in range(5):
            NurseShift.objects.create(nurse=nurse, weekday=wd, start=dt.time(7), end=dt.time(19))
    WaitlistSettings.load()
    user = User.objects.create_user(username="bench-desk", password="bench-pass-2026")
    protocols = {p.code: p for p in Protocol.objects.prefetch_related("dose_rules")}
    rules = {code: dose_rule_specs(p) for code, p in protocols.items()}
    weights = [w for _, _, w in MIX]
    tz = start.tzinfo
    sessions = []
    waiting = []  # (patient, protocol, dose, due date, booked date)
    n_patient = 0

    def new_patient():
        nonlocal n_patient
        n_patient += 1
        return Patient.objects.create(
            mrn=f"WB{n_patient:05d}",
            first_name=f"P{n_patient}",
            last_name=f"Bench{n_patient}",
            date_of_birth=dt.date(1975, 1, 1),
            mobile=f"+1617{5550000 + n_patient:07d}",
            email=f"p{n_patient}@example.org",
        )

    day = start.date()
    days = []
    while len(days) < WEEKS * 5:
        day += dt.timedelta(days=1)
        if day.weekday() < 5:
            days.append(day)
    from scheduling import engine

    for day in days:
        for chair in chairs:
            t = dt.datetime.combine(day, dt.time(7), tzinfo=tz)
            close = dt.datetime.combine(day, dt.time(19), tzinfo=tz)
            while t < close:
                if rng.random() > FILL:  # leave a gap: the center is not full
                    t += dt.timedelta(minutes=rng.choice((30, 45, 60)))
                    continue
                code, dose, _ = rng.choices(MIX, weights)[0]
                rule = engine.rule_for(rules[code], dose)
                # the previous dose must lie before today (a 4-weekly drug early in the month)
                min_late = (day - dt.timedelta(days=rule.interval_days) - start.date()).days + 1
                if min_late > rule.window_late_days:
                    code, dose = "ocrelizumab_iv", 4
                    rule = engine.rule_for(rules[code], dose)
                    min_late = 0
                minutes = engine.session_minutes(rule.timing) + 15
                if t + dt.timedelta(minutes=minutes - 15) > close:
                    break
                patient = new_patient()
                late = rng.randint(max(0, min_late), rule.window_late_days)
                due = day - dt.timedelta(days=late)
                prev = due - dt.timedelta(days=rule.interval_days)
                PatientProtocol.objects.create(
                    patient=patient,
                    protocol=protocols[code],
                    active=True,
                    doses_before_center=dose - 2,
                )
                services.record_past_dose(
                    patient=patient,
                    protocol=protocols[code],
                    dose_number=dose - 1,
                    start=dt.datetime.combine(prev, dt.time(9), tzinfo=tz),
                    chair=chairs[0],
                )
                try:
                    s = services.book_session(
                        patient=patient,
                        protocol=protocols[code],
                        dose_number=dose,
                        start=t,
                        chair=chair,
                        by=user,
                    )
                except (BookingConflict, SchedulingError):
                    t += dt.timedelta(minutes=15)  # a nurse is busy: try a little later
                    continue
                sessions.append(s)
                if late >= 2 and rng.random() < WAITLIST_SHARE * 2.2:
                    waiting.append((patient, protocols[code], dose, due, day))
                t = s.chair_release_at
    patients = len(sessions)
    # The waitlist: ~10 % of patients (mostly booked late, some new patients with no booking).
    target = round(WAITLIST_SHARE * patients)
    rng.shuffle(waiting)
    waiting = waiting[: round(target * (1 - NEW_PATIENT_SHARE / WAITLIST_SHARE))]
    entries = 0
    for patient, protocol, dose, due, booked in waiting:
        earliest = max(start.date(), due - dt.timedelta(days=rule_early(rules, protocol, dose)))
        latest = booked - dt.timedelta(days=1)
        if latest < earliest:
            continue
        wl.add_entry(
            patient=patient,
            protocol=protocol,
            dose_number=dose,
            earliest=earliest,
            latest=latest,
            windows=_windows(rng),
            min_notice_hours=rng.choice((4, 24, 24, 48)),
            channel="sms",
            by=user,
        )
        entries += 1
    for _ in range(target - entries):
        patient = new_patient()
        code = rng.choice(("ocrelizumab_iv", "natalizumab", "ocrelizumab_hyaluronidase_sc"))
        wl.add_entry(
            patient=patient,
            protocol=protocols[code],
            dose_number=1,
            earliest=start.date(),
            latest=days[-1],
            windows=_windows(rng),
            min_notice_hours=rng.choice((24, 48)),
            channel="sms",
            by=user,
        )
        entries += 1
    return sessions, entries, n_patient, user


def rule_early(rules, protocol, dose) -> int:
    from scheduling import engine

    return engine.rule_for(rules[protocol.code], dose).window_early_days


def _windows(rng: random.Random) -> list:
    r = rng.random()
    if r < 0.5:
        return []
    if r < 0.75:
        return [{"weekdays": [0, 1, 2, 3, 4], "start": "07:00", "end": "14:00"}]
    days = sorted(rng.sample(range(5), 3))
    return [{"weekdays": days}]


def draw_lead(rng: random.Random) -> dt.timedelta:
    r, acc = rng.random(), 0.0
    for share, lo, hi in LEADS:
        acc += share
        if r <= acc:
            return dt.timedelta(hours=rng.uniform(lo, hi))
    return dt.timedelta(hours=1)


def _db_url(name: str) -> str:
    return os.environ["DATABASE_URL"].rsplit("/", 1)[0] + "/" + name


def _exists(name: str) -> bool:
    import psycopg

    with psycopg.connect(_db_url("postgres"), autocommit=True) as conn:
        row = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
    return row is not None


def _use_database(name: str) -> None:
    from django.db import connections

    connections.close_all()
    connections.databases["default"]["NAME"] = name


def _clone(template: str, name: str) -> None:
    import psycopg
    from django.db import connections

    connections.close_all()
    with psycopg.connect(_db_url("postgres"), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')


BUILD_START = dt.datetime(2027, 3, 1, tzinfo=ZoneInfo(_world.TZ_NAME))  # a Monday


def build_month(seed: int, reuse: bool = False) -> tuple[str, float]:
    """Build the month once into <db>_base (a fresh database); runs start from copies of it.
    With reuse, an existing <db>_base built by an earlier run (same seed and weeks: the caller's
    word) is used as it is: building takes minutes and does not depend on the waitlist code."""
    import time_machine

    run_name = os.environ["DATABASE_URL"].rsplit("/", 1)[1]
    base = f"{run_name}_base"
    if reuse and _exists(base):
        os.environ["DATABASE_URL"] = _db_url(base)
        os.environ.setdefault("DJANGO_SETTINGS_MODULE", "infusion_center.settings")
        sys.path.insert(0, _world.ROOT)
        import django

        django.setup()
        from django.conf import settings

        settings.TREATMENT_ORDER_RULES = False
        os.environ["DATABASE_URL"] = _db_url(run_name)
        return base, 0.0
    os.environ["DATABASE_URL"] = _db_url(base)
    _world.bootstrap()  # creates <db>_base afresh, sets Django up, migrates
    from django.conf import settings

    # Orders and authorizations are their own subject (issue: ready to infuse); the generated
    # patients have none, so the order rule is off here as in the tests written before it.
    settings.TREATMENT_ORDER_RULES = False
    t0 = time.perf_counter()
    with time_machine.travel(BUILD_START - dt.timedelta(hours=6), tick=False):
        build_center(random.Random(seed), BUILD_START)
    os.environ["DATABASE_URL"] = _db_url(run_name)
    return base, time.perf_counter() - t0


def simulate(
    base: str, p_accept: float, at_once, seed: int, built: float, max_offers=None, steady=True
) -> dict:
    """One month at acceptance rate p_accept, on a copy of the built month."""
    import time_machine

    run_name = os.environ["DATABASE_URL"].rsplit("/", 1)[1]
    _clone(base, run_name)
    _use_database(run_name)
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    from django.contrib.auth.models import User

    from patients.models import Patient
    from scheduling.models import InfusionSession, SessionStatus
    from waitlist.models import WaitlistEntry, WaitlistSettings

    rng = random.Random(seed * 1000 + round(p_accept * 100))
    # The product's defaults as this checkout has them (a reused month may have been built
    # by an older one), then the run's options.
    WaitlistSettings.objects.all().delete()
    conf = WaitlistSettings.load()
    if at_once is not None:
        conf.offers_at_once = at_once
    if max_offers is not None:
        conf.max_offers_per_slot = max_offers
    conf.save()
    at_once = conf.offers_at_once
    settings_used = (
        f"offers at once {conf.offers_at_once}, hold {conf.hold_minutes} min, at most "
        f"{conf.max_offers_per_slot} offers a slot, min lead {conf.min_lead_minutes} min, "
        f"offer texts exempt from the daily cap: {conf.offer_exempt_from_text_cap}"
    )
    sessions = list(InfusionSession.objects.filter(status=SessionStatus.BOOKED).order_by("pk"))
    entries = WaitlistEntry.objects.count()
    patients = Patient.objects.count()
    user = User.objects.get(username="bench-desk")
    with time_machine.travel(BUILD_START, tick=False) as clock:
        r = _walk(
            rng, clock, BUILD_START, sessions, entries, patients, user, p_accept, at_once, built,
            steady,
        )  # fmt: skip
    r["settings"] = settings_used
    return r


def _late_pool(tz) -> list[tuple]:
    """Patients booked later than their dose is due (2 days or more), who could come earlier:
    where waitlist entries come from, as at build time. (session id, patient id, protocol,
    dose, due date, window early days)."""
    from scheduling import engine
    from scheduling.models import InfusionSession, Protocol, SessionStatus
    from scheduling.world import dose_rule_specs

    protocols = {p.pk: p for p in Protocol.objects.prefetch_related("dose_rules")}
    rules = {pk: dose_rule_specs(p) for pk, p in protocols.items()}
    given = {
        (pt, pr, n): start.astimezone(tz).date()
        for pt, pr, n, start in InfusionSession.objects.filter(
            status=SessionStatus.COMPLETED
        ).values_list("patient_id", "protocol_id", "dose_number", "start")
    }
    pool = []
    for s in InfusionSession.objects.filter(status=SessionStatus.BOOKED).order_by("pk"):
        prev = given.get((s.patient_id, s.protocol_id, s.dose_number - 1))
        if prev is None:
            continue
        rule = engine.rule_for(rules[s.protocol_id], s.dose_number)
        due = prev + dt.timedelta(days=rule.interval_days)
        if (s.start.astimezone(tz).date() - due).days >= 2:
            pool.append(
                (s.pk, s.patient_id, protocols[s.protocol_id], s.dose_number, due,
                 rule.window_early_days)
            )  # fmt: skip
    return pool


def _top_up(jrng, now, pool, target, last_day, user, counter) -> int:
    """Patients join the waitlist as others leave it (booked, window passed), so it stays at
    about WAITLIST_SHARE of the patients all month, as in a running clinic: the same mix as
    at build time (booked late and would come earlier; some new patients), drawn at random."""
    from patients.models import Patient
    from scheduling.models import InfusionSession, Protocol, SessionStatus
    from scheduling.world import center_tz
    from waitlist import services as wl
    from waitlist.models import EntryStatus, WaitlistEntry

    active = WaitlistEntry.objects.filter(status=EntryStatus.ACTIVE).count()
    if active >= target:
        return 0
    tz = center_tz()
    today = now.astimezone(tz).date()
    listed = set(WaitlistEntry.objects.values_list("patient_id", flat=True))
    open_pool = [p for p in pool if p[1] not in listed]
    jrng.shuffle(open_pool)
    added = 0
    while active + added < target:
        if jrng.random() < NEW_PATIENT_SHARE / WAITLIST_SHARE or not open_pool:
            counter[0] += 1
            patient = Patient.objects.create(
                mrn=f"WJ{counter[0]:05d}",
                first_name=f"J{counter[0]}",
                last_name=f"Joiner{counter[0]}",
                date_of_birth=dt.date(1975, 1, 1),
                mobile=f"+1617{6660000 + counter[0]:07d}",
                email=f"j{counter[0]}@example.org",
            )
            code = jrng.choice(("ocrelizumab_iv", "natalizumab", "ocrelizumab_hyaluronidase_sc"))
            wl.add_entry(
                patient=patient,
                protocol=Protocol.objects.get(code=code),
                dose_number=1,
                earliest=today,
                latest=max(today, last_day),
                windows=_windows(jrng),
                min_notice_hours=jrng.choice((24, 48)),
                channel="sms",
                by=user,
            )
            added += 1
            continue
        session_id, patient_id, protocol, dose, due, early = open_pool.pop()
        session = InfusionSession.objects.filter(pk=session_id).first()
        if session is None or session.status != SessionStatus.BOOKED:
            continue
        booked = session.start.astimezone(tz).date()
        earliest = max(today, due - dt.timedelta(days=early))
        latest = booked - dt.timedelta(days=1)
        if latest < earliest or latest <= today:
            continue
        wl.add_entry(
            patient=session.patient,
            protocol=protocol,
            dose_number=dose,
            earliest=earliest,
            latest=latest,
            windows=_windows(jrng),
            min_notice_hours=jrng.choice((4, 24, 24, 48)),
            channel="sms",
            by=user,
        )
        added += 1
    return added


def _walk(rng, clock, start, sessions, entries, patients, user, p_accept, at_once, built, steady):
    from scheduling import services
    from scheduling.models import InfusionSession, SessionStatus
    from waitlist import services as wl
    from waitlist.dispatcher import run_cycle
    from waitlist.models import FreedSlot, FreedStatus, Offer, OfferStatus

    tz = start.tzinfo
    events: list = []  # (time, seq, kind, payload)
    seq = 0

    def push(at, kind, payload=None):
        nonlocal seq
        seq += 1
        heapq.heappush(events, (at, seq, kind, payload))

    cancelled = 0
    for s in sessions:
        if rng.random() < CANCEL_RATE:
            lead = draw_lead(rng)
            room = (s.start - start).total_seconds() / 3600
            if lead.total_seconds() / 3600 > room:  # the month starts today: a shorter lead
                lead = dt.timedelta(hours=rng.uniform(0.5, room))
            at = s.start - lead
            if at < s.start - dt.timedelta(minutes=20):
                push(at, "cancel", s.pk)
                cancelled += 1
    last_day = max(s.start for s in sessions).date()
    d = start.date()
    while d <= last_day:
        push(dt.datetime.combine(d, dt.time(9, 0, 30), tzinfo=tz), "cycle")
        if steady and d.weekday() < 5:
            push(dt.datetime.combine(d, dt.time(8, 0), tzinfo=tz), "join")
        d += dt.timedelta(days=1)
    # Joiners have their own generator: the cancellations above and the answers below are
    # drawn as without them.
    jrng = random.Random(f"join {p_accept}")
    pool = _late_pool(tz) if steady else []
    target = round(WAITLIST_SHARE * len(sessions))
    joined, listed_sizes, counter = 0, [], [0]

    seen = 0
    walk_t0 = time.perf_counter()
    cycles = 0
    while events:
        at, _, kind, payload = heapq.heappop(events)
        clock.move_to(at)
        if kind == "cancel":
            s = InfusionSession.objects.get(pk=payload)
            # A booking an accepted offer moved earlier may have passed by now: nothing to cancel.
            if s.status in (SessionStatus.BOOKED, SessionStatus.CONFIRMED) and s.start > at:
                services.cancel(session=s, reason="patient cannot come", by=user)
        elif kind == "join":
            from waitlist.models import WaitlistEntry

            listed_sizes.append(WaitlistEntry.objects.filter(status="active").count())
            joined += _top_up(jrng, at, pool, target, last_day, user, counter)
        elif kind == "answer":
            offer_id, answer = payload
            offer = Offer.objects.get(pk=offer_id)
            try:
                if answer == "yes":
                    wl.accept_offer(offer=offer, via="sms")
                else:
                    wl.decline_offer(offer=offer, via="sms")
            except wl.OfferUnavailable:
                pass
        run_cycle()
        cycles += 1
        for offer in Offer.objects.filter(pk__gt=seen).order_by("pk"):
            seen = offer.pk
            push(offer.hold_until + dt.timedelta(seconds=30), "cycle")
            r = rng.random()
            hold_left = (offer.hold_until - at).total_seconds() / 60
            if r < p_accept:
                delay = min(rng.uniform(2, 25), hold_left - 1)
                push(at + dt.timedelta(minutes=delay), "answer", (offer.pk, "yes"))
            elif rng.random() < 0.35:
                delay = rng.uniform(5, 40)
                if delay < hold_left:
                    push(at + dt.timedelta(minutes=delay), "answer", (offer.pk, "no"))
    walk = time.perf_counter() - walk_t0
    return _figures(
        FreedSlot, FreedStatus, Offer, OfferStatus,
        p_accept=p_accept, at_once=at_once, sessions=len(sessions), cancelled=cancelled,
        entries=entries, patients=patients, built=built, walk=walk, cycles=cycles,
        joined=joined, steady=steady,
        listed_avg=statistics.mean(listed_sizes) if listed_sizes else float("nan"),
        listed_min=min(listed_sizes, default=0), target=target,
    )  # fmt: skip


def _overlap_hours(freed, session) -> float:
    a = max(freed.start, session.start)
    b = min(freed.end, session.chair_release_at)
    return max(0.0, (b - a).total_seconds() / 3600)


def _figures(FreedSlot, FreedStatus, Offer, OfferStatus, **meta) -> dict:
    """Figures per freed time as the cancellation (or move) freed it: the remainders a shorter
    visit left and that were offered again count towards the time they came from."""
    rows = list(FreedSlot.objects.select_related("filled_session"))
    offers_by_slot: dict[int, int] = {}
    for freed_id in Offer.objects.values_list("freed_id", flat=True):
        offers_by_slot[freed_id] = offers_by_slot.get(freed_id, 0) + 1
    children: dict[int, list] = {}
    for f in rows:
        if f.parent_id is not None:
            children.setdefault(f.parent_id, []).append(f)

    def family(f):
        out, todo = [], [f]
        while todo:
            g = todo.pop()
            out.append(g)
            todo += children.get(g.pk, [])
        return out

    def group(pred):
        chosen = [f for f in rows if f.parent_id is None and pred(f)]
        freed_h = sum(f.hours for f in chosen)
        refilled_h, minutes, fills, offers, filled_roots = 0.0, [], 0, 0, 0
        for root in chosen:
            filled = [
                g
                for g in family(root)
                if g.status == FreedStatus.FILLED and g.filled_session is not None
            ]
            offers += sum(offers_by_slot.get(g.pk, 0) for g in family(root))
            refilled_h += sum(_overlap_hours(g, g.filled_session) for g in filled)
            fills += len(filled)
            filled_roots += bool(filled)
            minutes += [(g.filled_at - root.created_at).total_seconds() / 60 for g in filled]
        minutes.sort()
        return {
            "slots": len(chosen),
            "freed_h": freed_h,
            "refilled_h": refilled_h,
            "share": refilled_h / freed_h if freed_h else 0.0,
            "fills": fills,
            "filled_slots": filled_roots,
            "offers": offers,
            "offers_per_fill": offers / fills if fills else float("nan"),
            "min_median": statistics.median(minutes) if minutes else float("nan"),
            "min_p90": minutes[int(0.9 * (len(minutes) - 1))] if minutes else float("nan"),
        }

    def lead_h(f):
        return (f.start - f.created_at).total_seconds() / 3600

    meta["ahead24"] = group(lambda f: f.reason == "cancelled" and lead_h(f) >= 24)
    meta["under24"] = group(lambda f: f.reason == "cancelled" and lead_h(f) < 24)
    meta["cancels"] = group(lambda f: f.reason == "cancelled")
    meta["chain"] = group(lambda f: f.reason == "moved")
    meta["remainders"] = sum(f.parent_id is not None for f in rows)
    meta["accepted"] = Offer.objects.filter(status=OfferStatus.ACCEPTED).count()
    meta["offers_total"] = Offer.objects.count()
    return meta


def report(r: dict) -> None:
    print(
        f"\nacceptance {r['p_accept']:.0%}: "
        f"{r['sessions']} sessions booked for {r['patients']} patients, {r['entries']} on the "
        f"waitlist, {r['cancelled']} cancellations "
        f"(built {r['built']:.0f} s, walked {r['walk']:.0f} s, {r['cycles']} dispatcher cycles)"
    )
    print(f"  settings: {r['settings']}")
    if r["steady"]:
        print(
            f"  waitlist kept at ~{r['target']} ({WAITLIST_SHARE:.0%} of booked sessions): "
            f"{r['joined']} patients joined during the month; on the list each weekday 08:00 "
            f"before joiners: mean {r['listed_avg']:.0f}, min {r['listed_min']}"
        )
    else:
        print("  waitlist as built, nobody joins during the month (--static-waitlist)")
    print(
        f"  {'freed time':<34}{'slots':>6}{'freed h':>9}{'refilled h':>11}{'share':>8}"
        f"{'fills':>7}{'offers/fill':>12}{'min median':>11}{'min p90':>9}"
    )
    for key, label in (
        ("ahead24", "cancelled >= 24 h ahead (target)"),
        ("under24", "cancelled < 24 h ahead"),
        ("cancels", "all cancellations"),
        ("chain", "moved bookings (the chain)"),
    ):
        g = r[key]
        print(
            f"  {label:<34}{g['slots']:>6}{g['freed_h']:>9.1f}{g['refilled_h']:>11.1f}"
            f"{g['share']:>8.1%}{g['fills']:>7}{g['offers_per_fill']:>12.1f}"
            f"{g['min_median']:>11.0f}{g['min_p90']:>9.0f}"
        )
    print(
        f"  {r['remainders']} remainders offered again after a shorter visit; "
        f"{r['accepted']} offers accepted of {r['offers_total']}"
    )
    target = r["ahead24"]["share"]
    print(f"  target >= 60 % of chair-hours freed >= 24 h ahead refilled: {target:.1%} "
          f"({'met' if target >= 0.60 else 'NOT met'})")  # fmt: skip


def main() -> None:
    global WEEKS
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--accept", default="0.1,0.3")
    parser.add_argument(
        "--at-once", type=int, default=None, help="offers at once (default: the setting's)"
    )
    parser.add_argument("--max-offers", type=int, default=None, help="(default: the setting's)")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument(
        "--static-waitlist",
        action="store_true",
        help="nobody joins the waitlist during the month (it runs dry in week 3)",
    )
    parser.add_argument("--weeks", type=int, default=4)
    parser.add_argument(
        "--reuse-base", action="store_true", help="walk an earlier run's built month again"
    )
    args = parser.parse_args()
    if "bench" not in os.environ["DATABASE_URL"].rsplit("/", 1)[1]:
        raise SystemExit("DATABASE_URL must name a database with 'bench' in it (it is wiped)")
    WEEKS = args.weeks
    base, built = build_month(args.seed, args.reuse_base)
    print(f"built the month in {built:.0f} s")
    for p in (float(x) for x in args.accept.split(",")):
        report(
            simulate(
                base, p, args.at_once, args.seed, built, args.max_offers, not args.static_waitlist
            )
        )


if __name__ == "__main__":
    main()
