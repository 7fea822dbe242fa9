"""Real parts: a Celery worker process on the real Redis, PostgreSQL and a real SMTP server.

book -> reminders fall due -> each arrives exactly once with the right content and a parseable
.ics; a move re-times them; a cancel sends one notice and nothing else. The fault test kills the
worker (kill -9 of its whole process group) in the middle of a batch of several hundred
reminders, twice, and counts at the SMTP server: nothing lost, duplicates reported.
"""

from __future__ import annotations

import collections
import datetime as dt
import json
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import icalendar
import pytest
import redis
from celery import Celery
from django.db import connection
from django.utils import timezone

from scheduling import services
from scheduling.models import Reminder
from scheduling.notifications.sms import read_file_messages
from tests.conftest import at
from tests.reminders.conftest import make_due

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.redis,
    pytest.mark.celery_worker,
    pytest.mark.smtp,
    pytest.mark.django_db(transaction=True),
]

REDIS_DB = int(os.environ.get("TEST_REDIS_DB", "5"))  # helpers running at once pick their own
BROKER = f"redis://127.0.0.1:6379/{REDIS_DB}"
ROOT = Path(__file__).resolve().parents[2]
TERMINAL = ("sent", "failed", "skipped", "cancelled")


class Worker:
    """One `celery worker` process group; kill() is a kill -9 of all of it."""

    def __init__(self, env: dict, log_path: Path):
        self.log_path = log_path
        self.log = open(log_path, "ab")
        self.proc = subprocess.Popen(
            # The celery of the interpreter running the tests (a fresh clone may use another venv).
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "infusion_center",
                "worker",
                "-P",
                "prefork",
                "-c",
                "2",
                "--without-gossip",
                "--without-mingle",
                "--without-heartbeat",
                "-l",
                "info",
                "-n",
                f"reminders-{time.monotonic_ns()}@%h",
            ],
            cwd=ROOT,
            env=env,
            stdout=self.log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        self.offset = log_path.stat().st_size if log_path.exists() else 0

    def wait_ready(self, timeout: float = 40) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise AssertionError(f"worker exited: {self.log_path.read_text()[-3000:]}")
            if b" ready." in self.log_path.read_bytes():
                return
            time.sleep(0.2)
        raise AssertionError(f"worker not ready: {self.log_path.read_text()[-3000:]}")

    def kill(self) -> None:
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(10)

    def stop(self) -> None:
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.kill()
        self.log.close()


@pytest.fixture
def broker():
    r = redis.Redis.from_url(BROKER)
    r.flushdb()
    client = Celery("reminder-tests", broker=BROKER)
    yield client
    client.close()
    r.flushdb()


@pytest.fixture
def worker_env(tmp_path, smtp_server):
    name = connection.settings_dict["NAME"]
    env = dict(os.environ)
    env.update(
        {
            "DATABASE_URL": f"postgres://postgres@127.0.0.1:5432/{name}",
            "CELERY_BROKER_URL": BROKER,
            "CELERY_VISIBILITY_TIMEOUT": "20",
            "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "EMAIL_HOST": "127.0.0.1",
            "EMAIL_PORT": str(smtp_server.port),
            "SMS_BACKEND": "file",
            "SMS_FILE_PATH": str(tmp_path / "sms"),
            "VAR_DIR": str(tmp_path / "var"),
            "REMINDER_LEASE_SECONDS": "6",
            "REMINDER_RETRY_BASE_SECONDS": "1",
            "REMINDER_DISPATCH_BUDGET_SECONDS": "10",
            "CONN_MAX_AGE": "0",
            "PYTHONUNBUFFERED": "1",
        }
    )
    env.pop("CI", None)
    return env


@pytest.fixture
def start_worker(worker_env, tmp_path, broker):
    started: list[Worker] = []

    def start() -> Worker:
        w = Worker(worker_env, tmp_path / "worker.log")
        started.append(w)
        w.wait_ready()
        return w

    yield start
    for w in started:
        w.stop()


def dispatch(broker) -> None:
    """What beat does every minute."""
    broker.send_task("scheduling.tasks.dispatch_due_reminders")


def wait_for(predicate, *, timeout: float, broker=None, every: float = 0.25, redispatch: float = 0):
    deadline = time.monotonic() + timeout
    last = time.monotonic()
    while time.monotonic() < deadline:
        if predicate():
            return True
        if redispatch and broker is not None and time.monotonic() - last > redispatch:
            dispatch(broker)
            last = time.monotonic()
        time.sleep(every)
    return predicate()


def live_or_due(session_ids):
    return Reminder.objects.filter(session_id__in=session_ids).exclude(status__in=TERMINAL)


@pytest.fixture
def quiet_off(center):
    center.quiet_hours_start = center.quiet_hours_end = dt.time(0)
    center.save()
    return center


def test_book_move_cancel_through_a_real_worker(
    clinic, clinic_day, make_patient, quiet_off, smtp_server, start_worker, broker, worker_env
):
    start_worker()
    patient = make_patient(first_name="Rosa")
    session = services.book_session(
        patient=patient,
        protocol=clinic["protocols"]["ocrelizumab_iv"],
        dose_number=1,
        start=at(clinic_day, 9),
    )
    planned = list(Reminder.objects.filter(session=session))
    assert sorted((r.kind, r.channel) for r in planned) == [
        ("day_before", "sms"),
        ("lab_checklist", "email"),
        ("prep", "email"),
    ]

    # Time passes: all three fall due.
    make_due(Reminder.objects.filter(session=session))
    dispatch(broker)
    assert wait_for(
        lambda: Reminder.objects.filter(session=session, status="sent").count() == 3, timeout=30
    )
    assert wait_for(lambda: len(smtp_server.messages) == 2, timeout=5)
    by_kind = {
        Reminder.objects.get(pk=int(m["X-Reminder-Id"])).kind: m for m in smtp_server.messages
    }
    assert set(by_kind) == {"lab_checklist", "prep"}
    prep = by_kind["prep"]
    assert prep["To"] == patient.email
    text = prep.get_body(("plain",)).get_content()
    html = prep.get_body(("html",)).get_content()
    for body in (text, html):
        assert "arrive at 9:00 AM" in body and "Bring a driver" in body
    (ics_part,) = [p for p in prep.iter_attachments() if p.get_content_type() == "text/calendar"]
    event = icalendar.Calendar.from_ical(ics_part.get_content()).walk("VEVENT")[0]
    assert event["DTSTART"].params["TZID"] == "America/New_York"
    assert event["DTSTART"].dt == session.start
    texts = read_file_messages(worker_env["SMS_FILE_PATH"])
    assert len(texts) == 1 and texts[0]["to"] == patient.mobile and "/p/s/" in texts[0]["body"]

    # Move: scheduled reminders re-timed (not sent again now); one move notice per channel.
    new_start = at(clinic_day + dt.timedelta(days=2), 11)
    services.reschedule(session=session, start=new_start)
    pending = {
        r.kind: r
        for r in Reminder.objects.filter(session=session, status="pending")
        if r.kind in ("prep", "day_before")
    }
    assert pending["prep"].due_at == at(new_start.date() - dt.timedelta(days=3), 10)
    assert pending["day_before"].due_at == at(new_start.date() - dt.timedelta(days=1), 10)
    dispatch(broker)
    assert wait_for(lambda: len(smtp_server.messages) == 3, timeout=30)
    moved = smtp_server.messages[2]
    assert "moved" in moved["Subject"]
    (ics_part,) = [p for p in moved.iter_attachments() if p.get_content_type() == "text/calendar"]
    assert (
        icalendar.Calendar.from_ical(ics_part.get_content()).walk("VEVENT")[0]["DTSTART"].dt
        == new_start
    )
    assert wait_for(lambda: len(read_file_messages(worker_env["SMS_FILE_PATH"])) == 2, timeout=10)

    # Cancel: one notice per channel and nothing else, even after every row "falls due".
    services.cancel(session=session, reason="patient unwell")
    make_due(Reminder.objects.filter(session=session, status="pending"))
    dispatch(broker)
    assert wait_for(lambda: len(smtp_server.messages) == 4, timeout=30)
    assert "cancelled" in smtp_server.messages[3]["Subject"]
    assert wait_for(lambda: not live_or_due([session.pk]).exists(), timeout=15)
    dispatch(broker)
    time.sleep(2)
    assert len(smtp_server.messages) == 4
    assert len(read_file_messages(worker_env["SMS_FILE_PATH"])) == 3
    counts = collections.Counter(m["X-Reminder-Id"] for m in smtp_server.messages)
    assert set(counts.values()) == {1}


def _many_due_reminders(clinic, clinic_day, make_patient, n: int) -> list[int]:
    """n email notices due now, spread over a few booked sessions (email-only patients)."""
    sessions = [
        services.book_session(
            patient=make_patient(mobile="", preferred_channel="email"),
            protocol=clinic["protocols"]["natalizumab"],
            dose_number=1,
            start=at(clinic_day, 8 + i),
            nurse=clinic["nurses"][1],
        )
        for i in range(4)
    ]
    Reminder.objects.filter(session__in=sessions).update(
        status="cancelled", skip_reason="test setup"
    )
    now = timezone.now() - dt.timedelta(seconds=1)
    Reminder.objects.bulk_create(
        [
            Reminder(session=sessions[i % 4], kind="reschedule", channel="email", due_at=now)
            for i in range(n)
        ]
    )
    return [s.pk for s in sessions]


def test_kill_9_mid_batch_loses_nothing(
    clinic,
    clinic_day,
    make_patient,
    quiet_off,
    smtp_server,
    start_worker,
    broker,
    record_property,
    tmp_path,
):
    n = 400
    session_ids = _many_due_reminders(clinic, clinic_day, make_patient, n)
    rng = random.Random()
    kills = []
    for _ in range(2):
        w = start_worker()
        dispatch(broker)
        # Kill at a random point of the batch: after a random number of accepted messages.
        target = len(smtp_server.messages) + rng.randint(20, 120)
        wait_for(lambda t=target: len(smtp_server.messages) >= t, timeout=60)
        time.sleep(rng.random() * 0.05)
        w.kill()
        kills.append(len(smtp_server.messages))
    start_worker()
    dispatch(broker)
    done = wait_for(
        lambda: not live_or_due(session_ids).exists(), timeout=120, broker=broker, redispatch=3
    )
    time.sleep(1)  # let any straggling redelivered task finish
    statuses = collections.Counter(
        Reminder.objects.filter(session_id__in=session_ids, kind="reschedule").values_list(
            "status", flat=True
        )
    )
    ids = set(
        Reminder.objects.filter(session_id__in=session_ids, kind="reschedule").values_list(
            "pk", flat=True
        )
    )
    counts = collections.Counter(int(m["X-Reminder-Id"]) for m in smtp_server.messages)
    delivered = set(counts) & ids
    duplicates = sum(c - 1 for c in counts.values())
    lost = len(ids - delivered)
    result = {
        "reminders": n,
        "sent_rows": statuses.get("sent", 0),
        "delivered_distinct": len(delivered),
        "smtp_total": sum(counts.values()),
        "duplicates": duplicates,
        "lost": lost,
        "killed_after_messages": kills,
        "statuses": dict(statuses),
    }
    print("FAULT TEST", json.dumps(result))
    record_property("fault_test", json.dumps(result))
    (ROOT / "var").mkdir(exist_ok=True)
    (ROOT / "var" / "fault_test_result.json").write_text(json.dumps(result, indent=2))
    assert done, result
    assert lost == 0, result
    assert statuses == {"sent": n}, result
    # A duplicate needs a kill between the server's "250 OK" and our commit; each kill can hit at
    # most one message per worker process (2). Every duplicate carries the same Message-ID.
    assert duplicates <= 2 * len(kills), result
    by_id = collections.defaultdict(set)
    for m in smtp_server.messages:
        by_id[m["X-Reminder-Id"]].add(m["Message-ID"])
    assert all(len(v) == 1 for v in by_id.values())
