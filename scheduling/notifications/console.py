"""Console email backend for `make run`: one log line per message, the whole message only
when CONSOLE_FULL_MESSAGES is set.

A newcomer's first beat tick used to print every due reminder as a full MIME email (over a
hundred screens); the worker's console now reads like a send log:
``email prep to jane.doe@example.org http://127.0.0.1:8001/p/...``.
"""

from __future__ import annotations

import logging
import re

from django.conf import settings
from django.core.mail.backends.console import EmailBackend as DjangoConsoleBackend

log = logging.getLogger("scheduling.messages")
_URL = re.compile(r"https?://[^\s\"'<>]+")


def first_link(text: str) -> str:
    """The first link into this site in a message (the patient link), or ''."""
    base = settings.PUBLIC_BASE_URL.rstrip("/")
    found = [u for u in _URL.findall(text or "") if u.startswith(base)]
    return found[0] if found else ""


def one_line(*, channel: str, kind: str, recipient: str, link: str) -> str:
    return f"{channel} {kind or 'message'} to {recipient} {link or '(no link)'}".rstrip()


class ConsoleEmailBackend(DjangoConsoleBackend):
    """Logs one line per email (channel, kind, recipients, link); with CONSOLE_FULL_MESSAGES
    it also writes the full message, as Django's console backend does."""

    def write_message(self, message):
        kind = message.extra_headers.get("X-Reminder-Kind", "") or message.subject[:60]
        log.info(
            one_line(
                channel="email",
                kind=kind,
                recipient=", ".join(message.recipients()),
                link=first_link(message.body),
            )
        )
        if getattr(settings, "CONSOLE_FULL_MESSAGES", False):
            super().write_message(message)
