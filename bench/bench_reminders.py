"""Benchmark: dispatch 10,000 due reminders through the console email and SMS backends.

    .venv/bin/python bench/bench_reminders.py                  # fresh SQLite file in a temp dir
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/bench_rem .venv/bin/python bench/bench_reminders.py
    .venv/bin/python bench/bench_reminders.py --processes 2    # two claimers side by side

The mix is what a real day looks like: per session a lab checklist (email, reads the labs), a
prep email, a day-before text and a move notice by email and text. The dispatcher code is the
production path (claim_due in batches, then deliver_batch() as the send_reminders task runs it:
shared reads once per batch, then per reminder lock, gates, render text + HTML + .ics, send,
mark sent, commit). Target: <= 60 s on 2 cores.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def setup_django(args) -> None:
    tmp = Path(tempfile.mkdtemp(prefix="bench_reminders_"))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "infusion_center.settings")
    os.environ.setdefault("VAR_DIR", str(tmp))
    os.environ.setdefault("DATABASE_URL", f"sqlite:///{tmp / 'bench.sqlite3'}")
    os.environ["EMAIL_BACKEND"] = "django.core.mail.backends.console.EmailBackend"
    os.environ["SMS_BACKEND"] = "console"
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    import django

    django.setup()
    from django.core.management import call_command

    if os.environ["DATABASE_URL"].startswith("postgres"):
        _recreate_pg_database(os.environ["DATABASE_URL"])
    call_command("migrate", verbosity=0)
    from django.db import connection
    from django.db.backends.signals import connection_created

    if connection.vendor == "sqlite":
        # WAL + synchronous=NORMAL: what a SQLite deployment would use; commits stop fsyncing.
        def tune(sender, connection, **kwargs):
            with connection.cursor() as cur:
                cur.execute("PRAGMA journal_mode=WAL")
                cur.execute("PRAGMA synchronous=NORMAL")

        connection_created.connect(tune, weak=False)
        connection.close()


def _recreate_pg_database(url: str) -> None:
    import environ
    import psycopg

    cfg = environ.Env.db_url_config(url)
    with psycopg.connect(
        dbname="postgres",
        host=cfg["HOST"] or None,
        port=cfg["PORT"] or None,
        user=cfg["USER"] or None,
        autocommit=True,
    ) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{cfg["NAME"]}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{cfg["NAME"]}"')


def seed(n_reminders: int) -> int:
    """Sessions spread one per chair per day (no overlaps), five due reminders each."""
    from django.db import transaction
    from django.utils import timezone

    from patients.models import Patient
    from scheduling.models import CenterSettings, Chair, InfusionSession, Protocol, Reminder

    center = CenterSettings.load()
    center.quiet_hours_start = center.quiet_hours_end = dt.time(0)  # measure sending, not waiting
    center.max_automated_sms_per_day = 5
    center.save()
    protocol = Protocol.objects.get(code="ocrelizumab_iv")
    per_session = 5
    n_sessions = -(-n_reminders // per_session)
    chairs = [Chair.objects.get_or_create(name=f"Bench {i}")[0] for i in range(8)]
    today = timezone.localdate()
    now = timezone.now()
    with transaction.atomic():
        patients = Patient.objects.bulk_create(
            [
                Patient(
                    mrn=f"B{i:06d}",
                    first_name=f"Pat{i}",
                    last_name="Bench",
                    date_of_birth=dt.date(1980, 1, 1),
                    email=f"p{i}@example.org",
                    mobile=f"+1617{5550000 + i % 10000:07d}"[:12],
                )
                for i in range(n_sessions)
            ]
        )
        sessions = []
        for i, patient in enumerate(patients):
            day = today + dt.timedelta(days=8 + i // len(chairs))
            start = dt.datetime.combine(day, dt.time(9), tzinfo=dt.UTC)
            sessions.append(
                InfusionSession(
                    patient=patient,
                    protocol=protocol,
                    dose_number=1,
                    chair=chairs[i % len(chairs)],
                    start=start,
                    premed_start=start,
                    infusion_start=start + dt.timedelta(minutes=30),
                    infusion_end=start + dt.timedelta(hours=3, minutes=30),
                    observation_end=start + dt.timedelta(hours=4, minutes=30),
                    chair_release_at=start + dt.timedelta(hours=4, minutes=45),
                )
            )
        sessions = InfusionSession.objects.bulk_create(sessions)
        mix = [
            ("lab_checklist", "email"),
            ("prep", "email"),
            ("day_before", "sms"),
            ("reschedule", "email"),
            ("reschedule", "sms"),
        ]
        rows = [
            Reminder(session=s, kind=k, channel=c, due_at=now - dt.timedelta(seconds=1))
            for s in sessions
            for k, c in mix
        ][:n_reminders]
        Reminder.objects.bulk_create(rows, batch_size=2000)
    return len(rows)


def run_dispatcher(batch: int) -> int:
    """Claim and send until nothing is due; returns how many this process sent."""
    from django.db import connection

    from scheduling.models import CenterSettings
    from scheduling.notifications.dispatch import claim_due, deliver_batch

    connection.close()  # a forked child opens its own connection
    center = CenterSettings.load()
    sent = 0
    with open(os.devnull, "w") as null, contextlib.redirect_stdout(null):
        while True:
            ids = claim_due(limit=batch, center=center)
            if not ids:
                return sent
            sent += sum(o.result == "sent" for o in deliver_batch(ids, center=center))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", type=int, default=10_000, help="reminders to dispatch")
    parser.add_argument(
        "--processes", type=int, default=1, help="dispatcher processes side by side"
    )
    parser.add_argument("--batch", type=int, default=200, help="rows per claim")
    parser.add_argument("--target", type=float, default=60.0, help="seconds allowed")
    parser.add_argument(
        "--async-commit",
        action="store_true",
        help="PostgreSQL: REMINDER_ASYNC_COMMIT=1 (no WAL flush wait per mark)",
    )
    args = parser.parse_args()
    if args.async_commit:
        os.environ["REMINDER_ASYNC_COMMIT"] = "1"
    setup_django(args)
    from django.db import connection

    from scheduling.models import Reminder

    t0 = time.perf_counter()
    n = seed(args.n)
    print(
        f"seeded {n} due reminders in {time.perf_counter() - t0:.1f} s "
        f"on {connection.vendor} ({args.processes} process(es))"
    )
    connection.close()
    start = time.perf_counter()
    if args.processes == 1:
        run_dispatcher(args.batch)
    else:
        import multiprocessing as mp

        ctx = mp.get_context("fork")
        with ctx.Pool(args.processes) as pool:
            pool.map(run_dispatcher, [args.batch] * args.processes)
    elapsed = time.perf_counter() - start
    counts = {
        s: Reminder.objects.filter(status=s).count()
        for s in ("sent", "skipped", "failed", "pending", "sending")
    }
    print(f"dispatched {n} reminders in {elapsed:.1f} s = {n / elapsed:.0f}/s   statuses: {counts}")
    ok = elapsed <= args.target and counts["sent"] + counts["skipped"] == n
    print(f"target <= {args.target:.0f} s: {'PASS' if ok else 'FAIL'}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
