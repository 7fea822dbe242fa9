"""SMS backends: console (default), file (tests, one JSON line per text), locmem, Twilio.

settings.SMS_BACKEND is a dotted path or one of the short names "console", "file", "locmem",
"twilio". A backend's send() returns the provider message id, or raises SmsTransientError
(try again later) / SmsPermanentError (this text will never go out).
"""

from __future__ import annotations

import fcntl
import json
import os
import sys
import uuid
from contextvars import ContextVar
from pathlib import Path

from django.conf import settings
from django.utils import timezone
from django.utils.module_loading import import_string


class SmsError(Exception):
    pass


class SmsTransientError(SmsError):
    """The provider or network failed; the same text may succeed later."""


class SmsPermanentError(SmsError):
    """The provider refused this text (bad number, blocked, opted out at the carrier)."""


# GSM 03.38: the basic set costs one character, the extension set two; anything else forces
# UCS-2 (70 characters per segment), so we count it as too long for one segment.
GSM_BASIC = set(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
GSM_EXTENDED = set("^{}\\[~]|€")


def gsm_length(text: str) -> int | None:
    """Length in GSM 7-bit characters, or None when the text needs UCS-2."""
    n = 0
    for ch in text:
        if ch in GSM_BASIC:
            n += 1
        elif ch in GSM_EXTENDED:
            n += 2
        else:
            return None
    return n


def fits_one_segment(text: str) -> bool:
    n = gsm_length(text)
    return n is not None and n <= 160


class BaseSmsBackend:
    def send(self, to: str, body: str) -> str:  # pragma: no cover - interface
        raise NotImplementedError


# The reminder kind being texted, set by the sender around backend.send() (the backends take
# only the number and the text); the console backend names it in its one line.
sending_kind: ContextVar[str] = ContextVar("sending_kind", default="")


class ConsoleSmsBackend(BaseSmsBackend):
    """Logs one line per text (kind, number, link) for `make run`; the text itself only with
    CONSOLE_FULL_MESSAGES. Pass `stream` to get the full texts there (benchmarks silence it)."""

    def __init__(self, stream=None):
        self.stream = stream

    def send(self, to: str, body: str) -> str:
        from scheduling.notifications.console import first_link, log, one_line

        msg_id = f"console-{uuid.uuid4().hex}"
        if self.stream is None:
            log.info(
                one_line(
                    channel="sms", kind=sending_kind.get(), recipient=to, link=first_link(body)
                )
            )
        if self.stream is not None or getattr(settings, "CONSOLE_FULL_MESSAGES", False):
            stream = self.stream or sys.stdout
            stream.write(f"--- SMS to {to} ({msg_id}) ---\n{body}\n")
            stream.flush()
        return msg_id


class FileSmsBackend(BaseSmsBackend):
    """Appends one JSON line per text to SMS_FILE_PATH (a directory gets messages.jsonl).
    Safe across worker processes: each line is written under an exclusive lock."""

    def __init__(self, path: str | None = None):
        p = Path(path or settings.SMS_FILE_PATH)
        if p.suffix != ".jsonl":
            p.mkdir(parents=True, exist_ok=True)
            p = p / "messages.jsonl"
        else:
            p.parent.mkdir(parents=True, exist_ok=True)
        self.path = p

    def send(self, to: str, body: str) -> str:
        msg_id = f"file-{uuid.uuid4().hex}"
        line = json.dumps({"id": msg_id, "to": to, "body": body, "at": timezone.now().isoformat()})
        with open(self.path, "a", encoding="utf-8") as fh:
            fcntl.flock(fh, fcntl.LOCK_EX)
            fh.write(line + "\n")
            fh.flush()
            os.fsync(fh.fileno())
        return msg_id


def read_file_messages(path: str) -> list[dict]:
    """The texts a FileSmsBackend wrote (tests)."""
    p = Path(path)
    if p.suffix != ".jsonl":
        p = p / "messages.jsonl"
    if not p.exists():
        return []
    return [json.loads(line) for line in p.read_text(encoding="utf-8").splitlines() if line.strip()]


class LocmemSmsBackend(BaseSmsBackend):
    """Keeps texts in LocmemSmsBackend.outbox (unit tests)."""

    outbox: list[dict] = []

    def send(self, to: str, body: str) -> str:
        msg_id = f"locmem-{uuid.uuid4().hex}"
        LocmemSmsBackend.outbox.append({"id": msg_id, "to": to, "body": body})
        return msg_id


class TwilioSmsBackend(BaseSmsBackend):
    """Twilio Programmable Messaging, configured from TWILIO_ACCOUNT_SID / TWILIO_AUTH_TOKEN /
    TWILIO_FROM_NUMBER."""

    def __init__(self, client=None):
        if client is None:
            from twilio.rest import Client

            if not (settings.TWILIO_ACCOUNT_SID and settings.TWILIO_AUTH_TOKEN):
                raise SmsPermanentError("TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN are not set.")
            client = Client(settings.TWILIO_ACCOUNT_SID, settings.TWILIO_AUTH_TOKEN)
        self.client = client

    def send(self, to: str, body: str) -> str:
        from twilio.base.exceptions import TwilioException, TwilioRestException

        try:
            message = self.client.messages.create(
                to=to, from_=settings.TWILIO_FROM_NUMBER, body=body
            )
        except TwilioRestException as exc:
            # 429 and 5xx are worth retrying; other 4xx (bad number, 21610 unsubscribed) are not.
            if exc.status == 429 or exc.status >= 500:
                raise SmsTransientError(f"Twilio {exc.status}: {exc.msg}") from exc
            raise SmsPermanentError(f"Twilio {exc.status} ({exc.code}): {exc.msg}") from exc
        except (TwilioException, OSError) as exc:
            raise SmsTransientError(f"Twilio unreachable: {exc}") from exc
        return message.sid


_ALIASES = {
    "console": "scheduling.notifications.sms.ConsoleSmsBackend",
    "file": "scheduling.notifications.sms.FileSmsBackend",
    "locmem": "scheduling.notifications.sms.LocmemSmsBackend",
    "twilio": "scheduling.notifications.sms.TwilioSmsBackend",
}


def get_backend() -> BaseSmsBackend:
    name = settings.SMS_BACKEND
    return import_string(_ALIASES.get(name, name))()


def send_sms(to: str, body: str) -> str:
    """Send one text through the configured backend; returns the provider message id."""
    return get_backend().send(to, body)
