"""`make run`'s console backends: one log line per message (channel, kind, recipient, link);
the full message only when CONSOLE_FULL_MESSAGES asks for it."""

from __future__ import annotations

import logging

from django.core.mail import EmailMultiAlternatives, get_connection
from django.test import override_settings

from scheduling.notifications import sms

BACKEND = "scheduling.notifications.console.ConsoleEmailBackend"
BASE = "http://127.0.0.1:8123"


def _email(connection):
    return EmailMultiAlternatives(
        subject="Your infusion on Tuesday",
        body=f"Hello,\nConfirm or change: {BASE}/p/abc123/\nSee you soon.",
        to=["jane.doe@example.org"],
        headers={"X-Reminder-Kind": "prep"},
        connection=connection,
    )


@override_settings(PUBLIC_BASE_URL=BASE, CONSOLE_FULL_MESSAGES=False)
def test_email_is_one_line(caplog, capsys):
    with caplog.at_level(logging.INFO, logger="scheduling.messages"):
        assert get_connection(BACKEND).send_messages([_email(None)]) == 1
    lines = [r.getMessage() for r in caplog.records if r.name == "scheduling.messages"]
    assert lines == [f"email prep to jane.doe@example.org {BASE}/p/abc123/"]
    assert "Content-Type" not in capsys.readouterr().out


@override_settings(PUBLIC_BASE_URL=BASE, CONSOLE_FULL_MESSAGES=True)
def test_full_email_when_asked(caplog, capsys):
    with caplog.at_level(logging.INFO, logger="scheduling.messages"):
        get_connection(BACKEND).send_messages([_email(None)])
    out = capsys.readouterr().out
    assert "Content-Type: text/plain" in out and "Subject: Your infusion on Tuesday" in out
    assert len([r for r in caplog.records if r.name == "scheduling.messages"]) == 1


@override_settings(PUBLIC_BASE_URL=BASE, CONSOLE_FULL_MESSAGES=False)
def test_text_is_one_line_with_its_kind(caplog, capsys):
    token = sms.sending_kind.set("day_before")
    try:
        with caplog.at_level(logging.INFO, logger="scheduling.messages"):
            msg_id = sms.ConsoleSmsBackend().send(
                "+16175550101", f"Riverside: see you Tue 9:00. {BASE}/p/xyz/ Reply STOP to end"
            )
    finally:
        sms.sending_kind.reset(token)
    assert msg_id.startswith("console-")
    lines = [r.getMessage() for r in caplog.records if r.name == "scheduling.messages"]
    assert lines == [f"sms day_before to +16175550101 {BASE}/p/xyz/"]
    assert "see you" not in capsys.readouterr().out


def test_dispatch_logs_one_line_per_reminder(booked, settings, caplog, capsys):
    """Through the real dispatch with the make-run defaults: a line per sent message."""
    from scheduling.models import Reminder
    from scheduling.notifications import dispatch
    from tests.reminders.conftest import make_due

    settings.EMAIL_BACKEND = BACKEND
    settings.SMS_BACKEND = "console"
    settings.CONSOLE_FULL_MESSAGES = False
    settings.PUBLIC_BASE_URL = BASE
    due = Reminder.objects.filter(session=booked, kind__in=["prep", "day_before"])
    make_due(due)
    with caplog.at_level(logging.INFO, logger="scheduling.messages"):
        outcomes = dispatch.dispatch_inline()
    sent = [o for o in outcomes if o.result == "sent"]
    lines = [r.getMessage() for r in caplog.records if r.name == "scheduling.messages"]
    assert len(lines) == len(sent) >= 2
    assert any(line.startswith("email prep to ") and f" {BASE}/p/" in line for line in lines)
    assert any(line.startswith("sms day_before to +1") and f" {BASE}/p/" in line for line in lines)
    out = capsys.readouterr().out
    assert "Content-Type" not in out and "--- SMS" not in out
