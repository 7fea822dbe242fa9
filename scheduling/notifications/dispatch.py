"""Claim due reminders and send each one at most once (DESIGN §6).

claim_due(): one short transaction locks due rows with SELECT ... FOR UPDATE SKIP LOCKED,
defers those that fall in the patient's quiet hours to the end of them, and marks the rest
`sending` with a lease (attempts + 1). Rows whose lease ran out (the worker died) are due again.

deliver(): locks the row, returns at once unless it is still `sending` (a second task for the
same reminder finds it `sent` and does nothing), re-checks the gates (session still on, channel
still allowed, quiet hours, the daily text cap), sends, and marks it `sent` with the provider's
message id in the same transaction, right after the provider accepted it. The only window for a
duplicate is a crash between the provider's acceptance and that commit.

Transient failures go back to `pending` with an exponential, jittered due time (no long-ETA
tasks sit in the broker); after REMINDER_MAX_ATTEMPTS the reminder is `failed`. Every
reminder ends in sent | failed | skipped (with a reason) | cancelled.
"""

from __future__ import annotations

import datetime as dt
import logging
import random
import smtplib
from collections import defaultdict
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.mail import get_connection
from django.db import connection, transaction
from django.db.models import F, Q
from django.utils import timezone

from patients.models import Patient
from scheduling.models import (
    ACTIVE_STATUSES,
    CenterSettings,
    Channel,
    Reminder,
    ReminderKind,
    ReminderStatus,
)
from scheduling.notifications import messages, sms
from scheduling.notifications.outbox import SCHEDULED_KINDS
from scheduling.notifications.quiet import is_quiet, next_send_time

log = logging.getLogger(__name__)

AUTOMATED_KINDS = SCHEDULED_KINDS  # count against the daily text cap; notices do not


class TransientSendError(Exception):
    pass


class PermanentSendError(Exception):
    pass


@dataclass(frozen=True)
class Outcome:
    reminder_id: int
    result: str  # sent | deferred | retry | failed | skipped | noop
    detail: str = ""


def _tz(name: str, fallback: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except Exception:  # an unknown zone on an old row must not stop the queue
        return ZoneInfo(fallback)


def backoff_seconds(attempt: int, *, rng: random.Random | None = None) -> float:
    """base * 2**(attempt-1), capped, with +-25 % jitter so retries do not arrive in step."""
    base = settings.REMINDER_RETRY_BASE_SECONDS
    delay = min(base * (2 ** max(attempt - 1, 0)), settings.REMINDER_RETRY_MAX_SECONDS)
    return delay * (rng or random).uniform(0.75, 1.25)


# --- claim -----------------------------------------------------------------------------------


def claim_due(*, now: dt.datetime | None = None, limit: int | None = None,
              center: CenterSettings | None = None) -> list[int]:
    """Claim up to `limit` due reminders for sending; returns their ids (commit done)."""
    now = now or timezone.now()
    limit = limit or settings.REMINDER_CLAIM_BATCH
    center = center or CenterSettings.load()
    lease_until = now + dt.timedelta(seconds=settings.REMINDER_LEASE_SECONDS)
    max_attempts = settings.REMINDER_MAX_ATTEMPTS
    with transaction.atomic():
        rows = list(
            Reminder.objects.select_for_update(skip_locked=True, of=("self",))
            .filter(Q(status=ReminderStatus.PENDING, due_at__lte=now)
                    | Q(status=ReminderStatus.SENDING, lease_until__lt=now))
            .order_by("due_at", "pk")
            .values_list("pk", "status", "attempts", "session__patient__time_zone")[:limit]
        )
        claim, deferred, exhausted = [], defaultdict(list), []
        for pk, status, attempts, patient_tz in rows:
            if status == ReminderStatus.SENDING and attempts >= max_attempts:
                exhausted.append(pk)  # its last attempt died with a worker
                continue
            tz = _tz(patient_tz, center.time_zone)
            if is_quiet(now, tz, center.quiet_hours_start, center.quiet_hours_end):
                deferred[next_send_time(now, tz, center.quiet_hours_start,
                                        center.quiet_hours_end)].append(pk)
            else:
                claim.append(pk)
        if claim:
            Reminder.objects.filter(pk__in=claim).update(
                status=ReminderStatus.SENDING, lease_until=lease_until,
                attempts=F("attempts") + 1, updated_at=now,
            )
        for due_at, pks in deferred.items():
            Reminder.objects.filter(pk__in=pks).update(
                status=ReminderStatus.PENDING, due_at=due_at, lease_until=None, updated_at=now,
            )
        if exhausted:
            Reminder.objects.filter(pk__in=exhausted).update(
                status=ReminderStatus.FAILED, lease_until=None, updated_at=now,
                last_error=f"gave up: the worker was lost during attempt {max_attempts}",
            )
    return claim


# --- deliver -------------------------------------------------------------------------------


def _classify_smtp(exc: Exception) -> Exception:
    """SMTP 5xx for the recipient or the message is permanent; 4xx, refused connections and
    timeouts are transient."""
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        codes = [code for code, _ in exc.recipients.values()]
        if codes and all(500 <= c < 600 for c in codes):
            return PermanentSendError(f"recipient refused: {exc.recipients}")
        return TransientSendError(f"recipient deferred: {exc.recipients}")
    if isinstance(exc, smtplib.SMTPResponseException):
        if 500 <= exc.smtp_code < 600 and not isinstance(exc, smtplib.SMTPServerDisconnected):
            return PermanentSendError(f"SMTP {exc.smtp_code}: {exc.smtp_error!r}")
        return TransientSendError(f"SMTP {exc.smtp_code}: {exc.smtp_error!r}")
    return TransientSendError(f"{type(exc).__name__}: {exc}")


def _send_email(reminder: Reminder, center: CenterSettings, checklist, connections: list) -> str:
    """Hand the message to the mail server. The connection is left open (closed by the caller
    after the commit), so the SMTP QUIT round trip is not inside the duplicate window."""
    connection = get_connection(fail_silently=False)
    connections.append(connection)
    msg = messages.build_email_message(reminder, center, checklist=checklist, connection=connection)
    try:
        connection.open()
        if connection.send_messages([msg]) != 1:
            raise TransientSendError("the mail backend did not take the message")
    except (smtplib.SMTPException, OSError) as exc:
        raise _classify_smtp(exc) from exc
    return msg.extra_headers["Message-ID"]


def _send_sms(reminder: Reminder, center: CenterSettings) -> str:
    body = messages.render_sms(reminder, center)
    try:
        return sms.send_sms(reminder.session.patient.mobile, body)
    except sms.SmsTransientError as exc:
        raise TransientSendError(str(exc)) from exc
    except sms.SmsPermanentError as exc:
        raise PermanentSendError(str(exc)) from exc


def _skip_reason(reminder: Reminder, now: dt.datetime) -> str | None:
    session, patient = reminder.session, reminder.session.patient
    if reminder.kind in SCHEDULED_KINDS:
        if session.status not in ACTIVE_STATUSES:
            return f"session {session.get_status_display().lower()}"
        if session.start <= now:
            return "session already started"
    if reminder.channel == Channel.SMS and not patient.can_text:
        return "patient opted out of texts" if patient.sms_opted_out_at else "patient cannot be texted"
    if reminder.channel == Channel.EMAIL and not patient.can_email:
        return "patient cannot be emailed"
    return None


def _texts_today(patient: Patient, tz: ZoneInfo, now: dt.datetime, exclude_id: int) -> int:
    local_midnight = dt.datetime.combine(now.astimezone(tz).date(), dt.time(0), tzinfo=tz)
    return (
        Reminder.objects.filter(session__patient=patient, channel=Channel.SMS,
                                kind__in=AUTOMATED_KINDS, status=ReminderStatus.SENT,
                                sent_at__gte=local_midnight)
        .exclude(pk=exclude_id)
        .count()
    )


def _maybe_async_commit() -> None:
    """Opt-in (REMINDER_ASYNC_COMMIT, PostgreSQL): do not wait for the WAL flush of this
    transaction. A crashed worker still loses nothing (the server has the commit); only a crash
    of the database server itself in the next fraction of a second can forget a `sent` mark
    and so send that message again."""
    if getattr(settings, "REMINDER_ASYNC_COMMIT", False) and connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL synchronous_commit TO OFF")


def _finish(reminder: Reminder, now: dt.datetime, **fields) -> None:
    for name, value in fields.items():
        setattr(reminder, name, value)
    reminder.lease_until = None
    reminder.updated_at = now
    reminder.save(update_fields=[*fields, "lease_until", "updated_at"])


def deliver(reminder_id: int, *, now: dt.datetime | None = None,
            center: CenterSettings | None = None) -> Outcome:
    """Send one claimed reminder; idempotent (a second call for a sent reminder is a no-op)."""
    connections: list = []
    try:
        return _deliver(reminder_id, now=now, center=center, connections=connections)
    finally:
        for connection in connections:  # after the commit: QUIT outside the duplicate window
            try:
                connection.close()
            except Exception:  # the message is accepted and recorded; a failed QUIT is noise
                log.debug("closing the mail connection failed", exc_info=True)


def _deliver(reminder_id: int, *, now, center, connections: list) -> Outcome:
    now = now or timezone.now()
    center = center or CenterSettings.load()
    head = (Reminder.objects.filter(pk=reminder_id)
            .values_list("session__patient_id", "channel").first())
    if head is None:
        return Outcome(reminder_id, "noop", "no such reminder")
    patient_id, channel = head
    with transaction.atomic():
        _maybe_async_commit()
        if channel == Channel.SMS:
            # Texts lock the patient (the daily cap and STOP are per patient), in the order the
            # booking services use: patient, then reminder rows.
            Patient.objects.select_for_update().filter(pk=patient_id).exists()
        reminder = (
            Reminder.objects.select_for_update(of=("self",))
            .select_related("session__protocol", "session__patient")
            .filter(pk=reminder_id).first()
        )
        if reminder is None or reminder.status != ReminderStatus.SENDING:
            return Outcome(reminder_id, "noop", reminder.status if reminder else "gone")
        patient = reminder.session.patient
        tz = _tz(patient.time_zone, center.time_zone)

        reason = _skip_reason(reminder, now)
        if reason:
            _finish(reminder, now, status=ReminderStatus.SKIPPED, skip_reason=reason[:200])
            return Outcome(reminder_id, "skipped", reason)

        if is_quiet(now, tz, center.quiet_hours_start, center.quiet_hours_end):
            # The task waited in the queue into the night: hand the row back, not an attempt.
            due = next_send_time(now, tz, center.quiet_hours_start, center.quiet_hours_end)
            _finish(reminder, now, status=ReminderStatus.PENDING, due_at=due,
                    attempts=max(reminder.attempts - 1, 0))
            return Outcome(reminder_id, "deferred", "quiet hours")

        if reminder.channel == Channel.SMS and reminder.kind in AUTOMATED_KINDS:
            if _texts_today(patient, tz, now, reminder.pk) >= center.max_automated_sms_per_day:
                tomorrow = dt.datetime.combine(now.astimezone(tz).date() + dt.timedelta(days=1),
                                               center.quiet_hours_end, tzinfo=tz)
                if tomorrow < reminder.session.start - dt.timedelta(hours=2):
                    _finish(reminder, now, status=ReminderStatus.PENDING, due_at=tomorrow,
                            attempts=max(reminder.attempts - 1, 0))
                    return Outcome(reminder_id, "deferred", "daily text limit")
                _finish(reminder, now, status=ReminderStatus.SKIPPED,
                        skip_reason="daily text limit reached")
                return Outcome(reminder_id, "skipped", "daily text limit reached")

        checklist = None
        if reminder.kind == ReminderKind.LAB_CHECKLIST:
            from scheduling import selectors

            checklist = selectors.lab_checklist(session=reminder.session)
            if not checklist.missing:
                _finish(reminder, now, status=ReminderStatus.SKIPPED,
                        skip_reason="every lab is in and current")
                return Outcome(reminder_id, "skipped", "labs complete")

        try:
            if reminder.channel == Channel.EMAIL:
                provider_id = _send_email(reminder, center, checklist, connections)
            else:
                provider_id = _send_sms(reminder, center)
        except PermanentSendError as exc:
            _finish(reminder, now, status=ReminderStatus.FAILED, last_error=str(exc)[:2000])
            return Outcome(reminder_id, "failed", str(exc))
        except Exception as exc:  # transient, or a bug: retried, then failed with the error kept
            error = str(exc) if isinstance(exc, TransientSendError) else f"{type(exc).__name__}: {exc}"
            if reminder.attempts >= settings.REMINDER_MAX_ATTEMPTS:
                _finish(reminder, now, status=ReminderStatus.FAILED,
                        last_error=f"after {reminder.attempts} attempts: {error}"[:2000])
                return Outcome(reminder_id, "failed", error)
            retry_at = timezone.now() + dt.timedelta(seconds=backoff_seconds(reminder.attempts))
            _finish(reminder, now, status=ReminderStatus.PENDING, due_at=retry_at,
                    last_error=f"attempt {reminder.attempts}: {error}"[:2000])
            log.warning("reminder %s attempt %s failed, retry at %s: %s",
                        reminder_id, reminder.attempts, retry_at, error)
            return Outcome(reminder_id, "retry", error)
        # Accepted by the provider: record it in this same short transaction.
        _finish(reminder, now, status=ReminderStatus.SENT, sent_at=timezone.now(),
                provider_message_id=provider_id[:200], last_error="")
        return Outcome(reminder_id, "sent", provider_id)


def dispatch_inline(*, now: dt.datetime | None = None, limit: int | None = None) -> list[Outcome]:
    """Claim and send in this process (tests, the benchmark, a manual run)."""
    center = CenterSettings.load()
    ids = claim_due(now=now, limit=limit, center=center)
    return [deliver(pk, now=now, center=center) for pk in ids]
