"""Claim due reminders and send each one at most once (DESIGN §6).

claim_due(): one short transaction locks due rows with SELECT ... FOR UPDATE SKIP LOCKED,
defers those that fall in the patient's quiet hours to the end of them, and marks the rest
`sending` with a lease (attempts + 1). Rows whose lease ran out (the worker died) are due again.

deliver(): locks the row, returns at once unless it is still `sending` (a second task for the
same reminder finds it `sent` and does nothing), re-checks the gates (session still on, channel
still allowed, quiet hours, the daily text cap), sends, and marks it `sent` with the provider's
message id in the same transaction, right after the provider accepted it. The only window for a
duplicate is a crash between the provider's acceptance and that commit.

deliver_batch(): the same per reminder, with what a batch shares read once (center settings,
heads, protocols, lab checklists, rendered session pieces, one mail connection). Sends are NOT
grouped under one commit: that would widen the duplicate window to the whole group.

Transient failures go back to `pending` with an exponential, jittered due time (no long-ETA
tasks sit in the broker); after REMINDER_MAX_ATTEMPTS the reminder is `failed`. Every
reminder ends in sent | failed | skipped (with a reason) | cancelled.
"""

from __future__ import annotations

import contextvars
import datetime as dt
import logging
import random
import smtplib
from collections import defaultdict
from dataclasses import dataclass, field
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
    InfusionSession,
    Protocol,
    Reminder,
    ReminderKind,
    ReminderStatus,
    center_settings_scope,
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


def claim_due(
    *,
    now: dt.datetime | None = None,
    limit: int | None = None,
    center: CenterSettings | None = None,
) -> list[int]:
    """Claim up to `limit` due reminders for sending; returns their ids (commit done)."""
    now = now or timezone.now()
    limit = limit or settings.REMINDER_CLAIM_BATCH
    center = center or CenterSettings.load()
    lease_until = now + dt.timedelta(seconds=settings.REMINDER_LEASE_SECONDS)
    max_attempts = settings.REMINDER_MAX_ATTEMPTS
    with transaction.atomic():
        rows = list(
            Reminder.objects.select_for_update(skip_locked=True, of=("self",))
            .filter(
                Q(status=ReminderStatus.PENDING, due_at__lte=now)
                | Q(status=ReminderStatus.SENDING, lease_until__lt=now)
            )
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
                deferred[
                    next_send_time(now, tz, center.quiet_hours_start, center.quiet_hours_end)
                ].append(pk)
            else:
                claim.append(pk)
        if claim:
            Reminder.objects.filter(pk__in=claim).update(
                status=ReminderStatus.SENDING,
                lease_until=lease_until,
                attempts=F("attempts") + 1,
                updated_at=now,
            )
        for due_at, pks in deferred.items():
            Reminder.objects.filter(pk__in=pks).update(
                status=ReminderStatus.PENDING,
                due_at=due_at,
                lease_until=None,
                updated_at=now,
            )
        if exhausted:
            Reminder.objects.filter(pk__in=exhausted).update(
                status=ReminderStatus.FAILED,
                lease_until=None,
                updated_at=now,
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


def _close_quietly(mail_connection) -> None:
    try:
        mail_connection.close()
    except Exception:  # the messages are accepted and recorded; a failed QUIT is noise
        log.debug("closing the mail connection failed", exc_info=True)


def _send_email(reminder: Reminder, center: CenterSettings, checklist, connections: list) -> str:
    """Hand the message to the mail server. `connections` holds the batch's one open mail
    connection (opened here on first use, reused by the next message of the batch, closed by
    the caller after the last commit, so the SMTP QUIT round trip is not inside the duplicate
    window). After a failure it is dropped and the next message opens a fresh one."""
    if not connections:
        connections.append(get_connection(fail_silently=False))
    mail_connection = connections[-1]
    msg = messages.build_email_message(
        reminder, center, checklist=checklist, connection=mail_connection, cache=_render_cache.get()
    )
    try:
        mail_connection.open()
        if mail_connection.send_messages([msg]) != 1:
            raise TransientSendError("the mail backend did not take the message")
    except (smtplib.SMTPException, OSError, TransientSendError) as exc:
        connections.remove(mail_connection)
        _close_quietly(mail_connection)
        if isinstance(exc, TransientSendError):
            raise
        raise _classify_smtp(exc) from exc
    return msg.extra_headers["Message-ID"]


def _send_sms(
    reminder: Reminder,
    center: CenterSettings,
    backend: sms.BaseSmsBackend | None = None,
    cache: messages.RenderCache | None = None,
) -> str:
    body = messages.render_sms(reminder, center, cache=cache)
    token = sms.sending_kind.set(reminder.kind)
    try:
        return (backend or sms.get_backend()).send(reminder.session.patient.mobile, body)
    except sms.SmsTransientError as exc:
        raise TransientSendError(str(exc)) from exc
    except sms.SmsPermanentError as exc:
        raise PermanentSendError(str(exc)) from exc
    finally:
        sms.sending_kind.reset(token)


def _skip_reason(reminder: Reminder, now: dt.datetime) -> str | None:
    session, patient = reminder.session, reminder.session.patient
    if reminder.kind in SCHEDULED_KINDS:
        if session.status not in ACTIVE_STATUSES:
            return f"session {session.get_status_display().lower()}"
        if session.start <= now:
            return "session already started"
    if reminder.channel == Channel.SMS and not patient.can_text:
        return (
            "patient opted out of texts" if patient.sms_opted_out_at else "patient cannot be texted"
        )
    if reminder.channel == Channel.EMAIL and not patient.can_email:
        return "patient cannot be emailed"
    return None


def _local_midnight(tz: ZoneInfo, now: dt.datetime) -> dt.datetime:
    return dt.datetime.combine(now.astimezone(tz).date(), dt.time(0), tzinfo=tz)


def _texts_today_qs(since: dt.datetime, exclude_id: int, patient=None):
    qs = Reminder.objects.filter(
        channel=Channel.SMS,
        kind__in=AUTOMATED_KINDS,
        status=ReminderStatus.SENT,
        sent_at__gte=since,
    )
    if patient is not None:
        qs = qs.filter(session__patient=patient)
    return qs.exclude(pk=exclude_id)


def _texts_today(patient: Patient, tz: ZoneInfo, now: dt.datetime, exclude_id: int) -> int:
    return _texts_today_qs(_local_midnight(tz, now), exclude_id, patient).count()


def _maybe_async_commit() -> None:
    """Opt-in (REMINDER_ASYNC_COMMIT, PostgreSQL): do not wait for the WAL flush of this
    transaction. A crashed worker still loses nothing (the server has the commit); only a crash
    of the database server itself in the next fraction of a second can forget a `sent` mark
    and so send that message again."""
    if getattr(settings, "REMINDER_ASYNC_COMMIT", False) and connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL synchronous_commit TO OFF")


_update_sql: dict[tuple, str] = {}


def _finish(reminder: Reminder, now: dt.datetime, **fields) -> None:
    """Write the outcome columns of the locked row: one UPDATE, its SQL built once per set of
    columns (the ORM's per-call compile cost more than the statement), values prepared by each
    field exactly as save() would."""
    fields["lease_until"] = None
    fields["updated_at"] = timezone.now()  # what auto_now gave save(): the wall clock
    for name, value in fields.items():
        setattr(reminder, name, value)
    names = tuple(fields)
    key = (connection.vendor, names)
    sql = _update_sql.get(key)
    if sql is None:
        q = connection.ops.quote_name
        sets = ", ".join(f"{q(Reminder._meta.get_field(n).column)} = %s" for n in names)
        sql = _update_sql[key] = (
            f"UPDATE {q(Reminder._meta.db_table)} SET {sets} WHERE {q('id')} = %s"
        )
    params = [
        Reminder._meta.get_field(n).get_db_prep_save(getattr(reminder, n), connection)
        for n in names
    ]
    with connection.cursor() as cursor:
        cursor.execute(sql, [*params, reminder.pk])


class _LockStatement:
    """deliver()'s row lock: SELECT the reminder FOR UPDATE (only its own row) with its session
    and patient, plus optionally the patient's automated texts since a moment. Written once per
    process from the models' metadata: compiling the equivalent queryset cost more than running
    it. Values go through the same converters the ORM applies, then Model.from_db()."""

    _MODELS = (Reminder, InfusionSession, Patient)

    def __init__(self, conn):
        q = conn.ops.quote_name
        self.aliases = ("r", "s", "p")
        self.fields = [list(m._meta.concrete_fields) for m in self._MODELS]
        cols = ", ".join(
            f"{a}.{q(f.column)}"
            for a, fs in zip(self.aliases, self.fields, strict=True)
            for f in fs
        )
        r, s, p = (q(m._meta.db_table) for m in self._MODELS)
        self.from_sql = (
            f"FROM {r} r INNER JOIN {s} s ON s.{q('id')} = r.{q('session_id')} "
            f"INNER JOIN {p} p ON p.{q('id')} = s.{q('patient_id')} WHERE r.{q('id')} = %s"
        )
        self.cols = cols
        self.texts_sql = (
            f"(SELECT COUNT(*) FROM {r} r2 INNER JOIN {s} s2 ON s2.{q('id')} = r2.{q('session_id')} "
            f"WHERE s2.{q('patient_id')} = s.{q('patient_id')} AND r2.{q('channel')} = %s "
            f"AND r2.{q('kind')} IN ({', '.join(['%s'] * len(AUTOMATED_KINDS))}) "
            f"AND r2.{q('status')} = %s AND r2.{q('sent_at')} >= %s AND r2.{q('id')} <> %s)"
        )
        self.lock = (
            " FOR UPDATE OF r"
            if conn.features.has_select_for_update_of
            else (" FOR UPDATE" if conn.features.has_select_for_update else "")
        )
        # Per model: (position in its row, converters, the column they are told about).
        self.converters = []
        for m, fs in zip(self._MODELS, self.fields, strict=True):
            convs = []
            for n, f in enumerate(fs):
                col = f.get_col(m._meta.db_table)
                funcs = conn.ops.get_db_converters(col) + f.get_db_converters(conn)
                if funcs:
                    convs.append((n, funcs, col))
            self.converters.append(convs)
        self.alias = conn.alias

    def fetch(self, reminder_id: int, texts_since: dt.datetime | None = None) -> Reminder | None:
        if texts_since is None:
            sql = f"SELECT {self.cols} {self.from_sql}{self.lock}"
            params = [reminder_id]
        else:
            sql = f"SELECT {self.cols}, {self.texts_sql} {self.from_sql}{self.lock}"
            params = [
                Channel.SMS,
                *AUTOMATED_KINDS,
                ReminderStatus.SENT,
                connection.ops.adapt_datetimefield_value(texts_since),
                reminder_id,
                reminder_id,
            ]
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            row = cursor.fetchone()
        if row is None:
            return None
        objs, start = [], 0
        for model, fields, convs in zip(self._MODELS, self.fields, self.converters, strict=True):
            values = list(row[start : start + len(fields)])
            for n, funcs, col in convs:
                for func in funcs:
                    values[n] = func(values[n], col, connection)
            objs.append(model.from_db(self.alias, [f.attname for f in fields], values))
            start += len(fields)
        reminder, session, patient = objs
        session.patient = patient
        reminder.session = session
        if texts_since is not None:
            reminder.texts_today = row[start]
        return reminder


_lock_statements: dict[str, _LockStatement] = {}


def _lock_reminder(reminder_id: int, texts_since: dt.datetime | None = None) -> Reminder | None:
    stmt = _lock_statements.get(connection.vendor)
    if stmt is None:
        stmt = _lock_statements[connection.vendor] = _LockStatement(connection)
    return stmt.fetch(reminder_id, texts_since)


# The batch's render cache, for _send_email (whose signature tests replace).
_render_cache: contextvars.ContextVar[messages.RenderCache | None] = contextvars.ContextVar(
    "reminder_render_cache", default=None
)


@dataclass(frozen=True)
class _Head:
    """What the batch read says about a reminder before its own transaction locks it."""

    patient_id: int
    patient_tz: str
    channel: str
    kind: str
    session_id: int


@dataclass
class _Batch:
    """Shared by the reminders of one delivery batch; never trusted for a gate (each reminder
    re-reads its row, session and patient under its own lock)."""

    center: CenterSettings
    heads: dict[int, _Head]
    # session id -> (start, dose, protocol id, checklist): reused only while the locked session
    # still has that start, dose and protocol.
    checklists: dict = field(default_factory=dict)
    connections: list = field(default_factory=list)  # at most one open mail connection
    cache: messages.RenderCache = field(default_factory=messages.RenderCache)
    protocols: dict = field(default_factory=dict)
    _sms_backend: sms.BaseSmsBackend | None = None

    def protocol(self, protocol_id: int) -> Protocol:
        if protocol_id not in self.protocols:
            self.protocols[protocol_id] = Protocol.objects.get(pk=protocol_id)
        return self.protocols[protocol_id]

    @property
    def sms_backend(self) -> sms.BaseSmsBackend:
        if self._sms_backend is None:
            self._sms_backend = sms.get_backend()
        return self._sms_backend

    def checklist_for(self, session):
        key = (session.start, session.dose_number, session.protocol_id)
        cached = self.checklists.get(session.pk)
        if cached is not None and cached[0] == key:
            return cached[1]
        from scheduling import selectors

        checklist = selectors.lab_checklist(session=session)
        self.checklists[session.pk] = (key, checklist)
        return checklist


def _read_batch(reminder_ids: list[int], center: CenterSettings) -> _Batch:
    """One query for the heads, one for the protocols, three for every lab checklist."""
    rows = Reminder.objects.filter(pk__in=reminder_ids).values_list(
        "pk", "session__patient_id", "session__patient__time_zone", "channel", "kind", "session_id"
    )
    batch = _Batch(center=center, heads={pk: _Head(*rest) for pk, *rest in rows})
    batch.protocols = Protocol.objects.filter(
        pk__in=InfusionSession.objects.filter(reminders__pk__in=reminder_ids).values("protocol_id")
    ).in_bulk()
    lab_sessions = {
        h.session_id for h in batch.heads.values() if h.kind == ReminderKind.LAB_CHECKLIST
    }
    if lab_sessions:
        from scheduling import selectors

        sessions = list(InfusionSession.objects.filter(pk__in=lab_sessions))
        checklists = selectors.lab_readiness_for_sessions(sessions)
        batch.checklists = {
            s.pk: ((s.start, s.dose_number, s.protocol_id), checklists[s.pk]) for s in sessions
        }
    return batch


def deliver(
    reminder_id: int, *, now: dt.datetime | None = None, center: CenterSettings | None = None
) -> Outcome:
    """Send one claimed reminder; idempotent (a second call for a sent reminder is a no-op)."""
    return deliver_batch([reminder_id], now=now, center=center)[0]


def deliver_batch(
    reminder_ids, *, now: dt.datetime | None = None, center: CenterSettings | None = None
) -> list[Outcome]:
    """Send several claimed reminders, one outcome each, in the given order.

    What they share is read once: the center settings, the heads (patient, channel, kind), the
    lab checklists, the rendered session pieces, one mail connection and one SMS backend. Each
    reminder still has its own short transaction (lock the row, re-check every gate on fresh
    rows, send, mark `sent`, commit) exactly as deliver() always had, so a crash can duplicate
    at most the one message between the provider's acceptance and its commit."""
    reminder_ids = list(reminder_ids)
    if not reminder_ids:
        return []
    return _deliver_in_scope(reminder_ids, now, center)


@center_settings_scope
def _deliver_in_scope(reminder_ids: list[int], now, center) -> list[Outcome]:
    center = center or CenterSettings.load()
    batch = _read_batch(reminder_ids, center)
    token = _render_cache.set(batch.cache)
    try:
        return [_deliver(pk, batch, now or timezone.now()) for pk in reminder_ids]
    finally:
        _render_cache.reset(token)
        for mail_connection in batch.connections:  # after the last commit: QUIT outside the window
            _close_quietly(mail_connection)


def _deliver(reminder_id: int, batch: _Batch, now: dt.datetime) -> Outcome:
    center = batch.center
    head = batch.heads.get(reminder_id)
    if head is None:
        return Outcome(reminder_id, "noop", "no such reminder")
    texts_cap = head.channel == Channel.SMS and head.kind in AUTOMATED_KINDS
    since = _local_midnight(_tz(head.patient_tz, center.time_zone), now) if texts_cap else None
    with transaction.atomic():
        _maybe_async_commit()
        if head.channel == Channel.SMS:
            # Texts lock the patient (the daily cap and STOP are per patient), in the order the
            # booking services use: patient, then reminder rows.
            Patient.objects.select_for_update().filter(pk=head.patient_id).exists()
        # Row, session and patient fresh under the lock (the gates read them); the protocol (wide
        # rows of advice text, edited only by a manager) from the batch. With the text cap, the
        # count runs in this statement, after the patient lock was granted, so its snapshot
        # already holds every text sent by whoever held that lock before us.
        reminder = _lock_reminder(reminder_id, since)
        if reminder is None or reminder.status != ReminderStatus.SENDING:
            return Outcome(reminder_id, "noop", reminder.status if reminder else "gone")
        reminder.session.protocol = batch.protocol(reminder.session.protocol_id)
        patient = reminder.session.patient
        tz = _tz(patient.time_zone, center.time_zone)

        reason = _skip_reason(reminder, now)
        if reason:
            _finish(reminder, now, status=ReminderStatus.SKIPPED, skip_reason=reason[:200])
            return Outcome(reminder_id, "skipped", reason)

        if is_quiet(now, tz, center.quiet_hours_start, center.quiet_hours_end):
            # The task waited in the queue into the night: hand the row back, not an attempt.
            due = next_send_time(now, tz, center.quiet_hours_start, center.quiet_hours_end)
            _finish(
                reminder,
                now,
                status=ReminderStatus.PENDING,
                due_at=due,
                attempts=max(reminder.attempts - 1, 0),
            )
            return Outcome(reminder_id, "deferred", "quiet hours")

        if reminder.channel == Channel.SMS and reminder.kind in AUTOMATED_KINDS:
            texts_today = getattr(reminder, "texts_today", None)
            if texts_today is None or patient.time_zone != head.patient_tz:
                # Not counted with the lock (the channel changed) or the patient's day did.
                texts_today = _texts_today(patient, tz, now, reminder.pk)
            if texts_today >= center.max_automated_sms_per_day:
                tomorrow = dt.datetime.combine(
                    now.astimezone(tz).date() + dt.timedelta(days=1),
                    center.quiet_hours_end,
                    tzinfo=tz,
                )
                if tomorrow < reminder.session.start - dt.timedelta(hours=2):
                    _finish(
                        reminder,
                        now,
                        status=ReminderStatus.PENDING,
                        due_at=tomorrow,
                        attempts=max(reminder.attempts - 1, 0),
                    )
                    return Outcome(reminder_id, "deferred", "daily text limit")
                _finish(
                    reminder,
                    now,
                    status=ReminderStatus.SKIPPED,
                    skip_reason="daily text limit reached",
                )
                return Outcome(reminder_id, "skipped", "daily text limit reached")

        checklist = None
        if reminder.kind == ReminderKind.LAB_CHECKLIST:
            checklist = batch.checklist_for(reminder.session)
            if not checklist.missing:
                _finish(
                    reminder,
                    now,
                    status=ReminderStatus.SKIPPED,
                    skip_reason="every lab is in and current",
                )
                return Outcome(reminder_id, "skipped", "labs complete")

        try:
            if reminder.channel == Channel.EMAIL:
                provider_id = _send_email(reminder, center, checklist, batch.connections)
            else:
                provider_id = _send_sms(reminder, center, batch.sms_backend, batch.cache)
        except PermanentSendError as exc:
            _finish(reminder, now, status=ReminderStatus.FAILED, last_error=str(exc)[:2000])
            return Outcome(reminder_id, "failed", str(exc))
        except Exception as exc:  # transient, or a bug: retried, then failed with the error kept
            error = (
                str(exc) if isinstance(exc, TransientSendError) else f"{type(exc).__name__}: {exc}"
            )
            if reminder.attempts >= settings.REMINDER_MAX_ATTEMPTS:
                _finish(
                    reminder,
                    now,
                    status=ReminderStatus.FAILED,
                    last_error=f"after {reminder.attempts} attempts: {error}"[:2000],
                )
                return Outcome(reminder_id, "failed", error)
            retry_at = timezone.now() + dt.timedelta(seconds=backoff_seconds(reminder.attempts))
            _finish(
                reminder,
                now,
                status=ReminderStatus.PENDING,
                due_at=retry_at,
                last_error=f"attempt {reminder.attempts}: {error}"[:2000],
            )
            log.warning(
                "reminder %s attempt %s failed, retry at %s: %s",
                reminder_id,
                reminder.attempts,
                retry_at,
                error,
            )
            return Outcome(reminder_id, "retry", error)
        # Accepted by the provider: record it in this same short transaction.
        _finish(
            reminder,
            now,
            status=ReminderStatus.SENT,
            sent_at=timezone.now(),
            provider_message_id=provider_id[:200],
            last_error="",
        )
        return Outcome(reminder_id, "sent", provider_id)


def dispatch_inline(*, now: dt.datetime | None = None, limit: int | None = None) -> list[Outcome]:
    """Claim and send in this process (tests, the benchmark, a manual run)."""
    center = CenterSettings.load()
    ids = claim_due(now=now, limit=limit, center=center)
    return deliver_batch(ids, now=now, center=center)
