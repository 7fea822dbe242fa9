"""Redis (the Celery broker) stopped: booking and cancelling still work, because reminders are
rows in the outbox written with the booking, not messages in the broker. When Redis is back, a
real worker sends every one of them.

The test runs its own redis-server on a free port; the shared one on 6379 is never touched.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
from pathlib import Path

import pytest
from celery import Celery
from django.db import connection

from scheduling.models import InfusionSession, Reminder
from tests.reminders.conftest import make_due
from tests.reminders.test_worker import Worker, wait_for

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.redis,
    pytest.mark.celery_worker,
    pytest.mark.smtp,
    pytest.mark.django_db(transaction=True),
]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class RedisServer:
    """Our own redis-server; stop() and start() again on the same port."""

    def __init__(self, workdir: Path):
        if not shutil.which("redis-server"):
            pytest.skip("redis-server not on PATH")
        self.port = free_port()
        self.workdir = workdir
        self.proc: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.proc = subprocess.Popen(
            [
                "redis-server",
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                str(self.workdir),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", self.port), 0.5).close()
                return
            except OSError:
                time.sleep(0.1)
        raise AssertionError("redis-server did not start")

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(20)


@pytest.fixture
def own_redis(tmp_path):
    server = RedisServer(tmp_path)
    server.start()
    yield server
    server.stop()


@pytest.fixture
def app_on_own_redis(own_redis):
    """The Celery app of this process (what views and services publish with) on our Redis."""
    from infusion_center.celery import app

    saved = app.conf.broker_url
    app.close()
    app.conf.broker_url = own_redis.url
    yield app
    app.close()
    app.conf.broker_url = saved


def test_booking_works_with_redis_down_and_reminders_go_out_after(
    clinic, clinic_day, make_patient, book, desk, own_redis, app_on_own_redis, smtp_server, tmp_path
):
    center = clinic["center"]
    center.quiet_hours_start = center.quiet_hours_end = __import__("datetime").time(0)
    center.save()
    own_redis.stop()

    # Broker gone: a booking through the API is still a quick 201 with its reminders stored.
    patient = make_patient(first_name="Rosa")
    started = time.monotonic()
    response = book(patient, clinic_day, 9, protocol="ocrelizumab_iv")
    took = time.monotonic() - started
    assert response.status_code == 201, response.content
    assert took < 10, f"booking waited {took:.1f} s for the broker"
    session = InfusionSession.objects.get(pk=response.json()["id"])
    pending = Reminder.objects.filter(session=session, status="pending")
    assert pending.count() >= 2
    # A second booking and its cancellation (which would also nudge the waitlist dispatcher).
    other = book(make_patient(), clinic_day, 11, protocol="ocrelizumab_iv")
    assert other.status_code == 201, other.content
    cancelled = desk.post(
        f"/api/sessions/{other.json()['id']}/cancel/", {"reason": "patient request"}, format="json"
    )
    assert cancelled.status_code == 200, cancelled.content

    # Redis returns; a real worker (and beat's next dispatch) sends everything that waited.
    own_redis.start()
    name = connection.settings_dict["NAME"]
    env = dict(os.environ)
    env.update(
        DATABASE_URL=f"postgres://postgres@127.0.0.1:5432/{name}",
        CELERY_BROKER_URL=own_redis.url,
        EMAIL_BACKEND="django.core.mail.backends.smtp.EmailBackend",
        EMAIL_HOST="127.0.0.1",
        EMAIL_PORT=str(smtp_server.port),
        SMS_BACKEND="file",
        SMS_FILE_PATH=str(tmp_path / "sms"),
        VAR_DIR=str(tmp_path / "var"),
        CONN_MAX_AGE="0",
        PYTHONUNBUFFERED="1",
    )
    env.pop("CI", None)
    worker = Worker(env, tmp_path / "worker.log")
    try:
        worker.wait_ready()
        make_due(Reminder.objects.filter(status="pending"))
        due = set(Reminder.objects.filter(status="pending").values_list("pk", flat=True))
        assert due
        beat = Celery("beat-stand-in", broker=own_redis.url)
        beat.send_task("scheduling.tasks.dispatch_due_reminders")
        assert wait_for(
            lambda: not Reminder.objects.filter(pk__in=due, status__in=["pending", "sending"]),
            timeout=60,
        ), list(Reminder.objects.filter(pk__in=due).values_list("kind", "status", "last_error"))
        statuses = set(Reminder.objects.filter(pk__in=due).values_list("status", flat=True))
        assert statuses <= {"sent", "skipped"}, statuses
        assert "sent" in statuses
        emails = [m for m in smtp_server.messages if m["To"] == patient.email]
        assert emails, "the waiting emails reached the SMTP server"
        beat.close()
    finally:
        worker.stop()
