"""Fixtures for the reminder tests: a real SMTP server (aiosmtpd), SMS backends, a booked session."""

from __future__ import annotations

import datetime as dt
import email
import logging
import socket
import threading
from email import policy

import pytest
from aiosmtpd.controller import Controller

from tests.conftest import at

# aiosmtpd logs every SMTP command at INFO; keep test output readable.
logging.getLogger("mail.log").setLevel(logging.WARNING)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class RecordingHandler:
    """Keeps every accepted message; answers 451 (try again) to the first `fail_first` DATA."""

    def __init__(self, fail_first: int = 0):
        self.fail_first = fail_first
        self.refused = 0
        self.messages: list[email.message.EmailMessage] = []
        self.lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope):
        with self.lock:
            if self.refused < self.fail_first:
                self.refused += 1
                return "451 4.3.0 Temporary failure, try again later"
            self.messages.append(email.message_from_bytes(envelope.content, policy=policy.default))
        return "250 OK"

    def reminder_ids(self) -> list[int]:
        with self.lock:
            return [int(m["X-Reminder-Id"]) for m in self.messages if m["X-Reminder-Id"]]


class SmtpServer:
    def __init__(self, fail_first: int = 0):
        self.handler = RecordingHandler(fail_first)
        self.port = free_port()
        self.controller = Controller(self.handler, hostname="127.0.0.1", port=self.port)

    def __enter__(self):
        self.controller.start()
        return self

    def __exit__(self, *exc):
        self.controller.stop()

    @property
    def messages(self):
        return self.handler.messages


@pytest.fixture
def smtp_server():
    with SmtpServer() as server:
        yield server


@pytest.fixture
def smtp_settings(settings, smtp_server):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = smtp_server.port
    settings.EMAIL_USE_TLS = False
    return smtp_server


@pytest.fixture
def sms_outbox(settings):
    from scheduling.notifications.sms import LocmemSmsBackend

    settings.SMS_BACKEND = "locmem"
    LocmemSmsBackend.outbox.clear()
    yield LocmemSmsBackend.outbox
    LocmemSmsBackend.outbox.clear()


@pytest.fixture
def no_quiet_hours(center):
    """Quiet hours off (start == end), so tests do not depend on the wall clock."""
    center.quiet_hours_start = center.quiet_hours_end = dt.time(0, 0)
    center.save()
    return center


@pytest.fixture
def booked(clinic, clinic_day, make_patient, no_quiet_hours):
    """Ocrevus dose 1 (labs gate it) at 09:00 on the clinic day, for a patient on email + SMS."""
    from scheduling import services

    patient = make_patient(first_name="Dana", last_name="Reyes")
    return services.book_session(
        patient=patient,
        protocol=clinic["protocols"]["ocrelizumab_iv"],
        dose_number=1,
        start=at(clinic_day, 9),
        chair=clinic["chairs"][0],
    )


def make_due(*reminders_or_qs, when: dt.datetime | None = None) -> None:
    """Let time pass: the given reminders are due now."""
    from django.utils import timezone

    from scheduling.models import Reminder

    when = when or timezone.now() - dt.timedelta(seconds=1)
    ids = []
    for r in reminders_or_qs:
        ids.extend([r.pk] if isinstance(r, Reminder) else list(r.values_list("pk", flat=True)))
    Reminder.objects.filter(pk__in=ids).update(due_at=when)
