"""Booking and availability on a generated center (DESIGN §9), in process on PostgreSQL.

1. availability p50/p95 through selectors.availability (DB load + engine), 200 searches of
   three days each, and 50 of all 14 days for a new patient, protocols cycled;
2. book_session p50/p95 over 200 bookings, each at the first slot that search offered;
3. N=20 parallel API clients (own thread, own DB connection) racing for one chair and start:
   counts of 201 and 409 (expected: exactly one 201) and rows stored.

Prints figures; asserts nothing about time.
Run: .venv/bin/python bench/bench_booking.py   (DATABASE_URL defaults to .../infusion_bench)
"""

from __future__ import annotations

import datetime as dt
import os
import sys
import threading
import time
from collections import Counter

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import _world  # noqa: E402

N_BOOKINGS = 200
N_RACERS = 20
PROTOCOLS = ["ocrelizumab_hyaluronidase_sc", "natalizumab", "ocrelizumab_iv", "ublituximab"]


def main() -> None:
    world = _world.setup()
    import logging

    logging.getLogger("django.request").setLevel(logging.ERROR)  # 409s are expected in the race
    from django.db import connection
    from rest_framework.test import APIClient

    from patients.models import Patient
    from scheduling import selectors, services
    from scheduling.exceptions import BookingConflict, SchedulingError
    from scheduling.models import InfusionSession, Protocol

    protocols = {
        p.code: p
        for p in Protocol.objects.prefetch_related("dose_rules").filter(code__in=PROTOCOLS)
    }
    desk = __import__("django.contrib.auth.models", fromlist=["User"]).User.objects.get(
        pk=world.user_id
    )

    search_s, book_s, outcome = [], [], Counter()
    for i in range(N_BOOKINGS):
        patient = Patient.objects.create(
            mrn=f"BB{i:05d}",
            first_name="New",
            last_name=f"Booking{i}",
            date_of_birth=dt.date(1980, 1, 1),
        )
        protocol = protocols[PROTOCOLS[i % len(PROTOCOLS)]]
        _world.cover(patient, protocol)  # booking needs an order (and an authorization)
        day = world.day0 + dt.timedelta(days=i % (world.days - 2))
        t = time.perf_counter()
        slots = selectors.availability(
            patient=patient,
            protocol=protocol,
            dose_number=1,
            date_from=day,
            date_to=day + dt.timedelta(days=2),
            limit=10,
        )
        search_s.append(time.perf_counter() - t)
        if not slots:
            outcome["no slot"] += 1
            continue
        p = slots[0].placements[0]
        t = time.perf_counter()
        try:
            services.book_session(
                patient=patient,
                protocol=protocol,
                dose_number=1,
                start=slots[0].start,
                by=desk,
                chair=_obj("Chair", p.chair_id),
                nurse=_obj("Nurse", p.nurse_id),
            )
            outcome["booked"] += 1
        except (BookingConflict, SchedulingError) as exc:
            outcome[type(exc).__name__] += 1
        book_s.append(time.perf_counter() - t)

    # Searches over the whole 14 days (the coordinator's default view) as well.
    wide_s = []
    patient = Patient.objects.create(
        mrn="BBWIDE", first_name="Wide", last_name="Search", date_of_birth=dt.date(1980, 1, 1)
    )
    for i in range(50):
        protocol = protocols[PROTOCOLS[i % len(PROTOCOLS)]]
        t = time.perf_counter()
        selectors.availability(
            patient=patient,
            protocol=protocol,
            dose_number=1,
            date_from=world.day0,
            date_to=world.day0 + dt.timedelta(days=world.days - 1),
            limit=10,
        )
        wide_s.append(time.perf_counter() - t)

    _report("availability, 3 days (selector incl. DB)", search_s)
    _report("availability, 14 days (selector incl. DB)", wide_s)
    _report("book_session (service incl. DB, locks, reminders)", book_s)
    print(f"  bookings: {dict(outcome)}")

    # --- N clients race for one chair and start, through the API --------------------------------
    protocol = protocols["ocrelizumab_hyaluronidase_sc"]
    racers = [
        Patient.objects.create(
            mrn=f"BR{i:03d}",
            first_name="Race",
            last_name=f"R{i}",
            date_of_birth=dt.date(1980, 1, 1),
        )
        for i in range(N_RACERS)
    ]
    for racer in racers:
        _world.cover(racer, protocol)
    free = None
    for d in range(world.days):
        slots = selectors.availability(
            patient=racers[0],
            protocol=protocol,
            dose_number=1,
            date_from=world.day0 + dt.timedelta(days=d),
            date_to=world.day0 + dt.timedelta(days=d),
            limit=1,
        )
        if slots:
            free = slots[0]
            break
    assert free is not None, "no free slot left for the race"
    chair_id = free.placements[0].chair_id
    barrier = threading.Barrier(N_RACERS)
    codes: list = []

    def race(patient):
        try:
            client = APIClient()
            client.credentials(HTTP_AUTHORIZATION=f"Token {world.token}")
            barrier.wait(timeout=30)
            r = client.post(
                "/api/sessions/",
                {
                    "patient": patient.pk,
                    "protocol": protocol.code,
                    "dose_number": 1,
                    "start": free.start.isoformat(),
                    "chair": chair_id,
                },
                format="json",
                SERVER_NAME="localhost",
            )
            codes.append(r.status_code)
        except Exception as exc:  # noqa: BLE001 - show it in the counts
            codes.append(repr(exc))
        finally:
            connection.close()

    connection.close()
    t = time.perf_counter()
    threads = [threading.Thread(target=race, args=(p,)) for p in racers]
    for th in threads:
        th.start()
    for th in threads:
        th.join(timeout=120)
    elapsed = time.perf_counter() - t
    stored = InfusionSession.objects.filter(patient__in=racers).count()
    print(
        f"race: {N_RACERS} API clients for chair {chair_id} at {free.start:%Y-%m-%d %H:%M}: "
        f"{dict(Counter(codes))} in {elapsed * 1000:.0f} ms; rows stored: {stored}"
    )


def _obj(model: str, pk: int):
    from django.apps import apps

    return apps.get_model("scheduling", model).objects.get(pk=pk)


def _report(name: str, seconds: list[float]) -> None:
    ms = [s * 1000 for s in seconds]
    print(
        f"{name}: n={len(ms)} p50={_world.pct(ms, 50):.1f} ms  p95={_world.pct(ms, 95):.1f} ms  "
        f"max={max(ms):.1f} ms"
    )


if __name__ == "__main__":
    main()
