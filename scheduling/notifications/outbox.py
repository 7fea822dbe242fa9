"""Reminder rows written inside the booking transaction (the outbox).

A booking can never exist without its reminders, and a move or cancel re-times or cancels them
in the same transaction. The dispatcher (scheduling.tasks) sends what falls due.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from django.utils import timezone

from scheduling.models import (
    CenterSettings,
    Channel,
    InfusionSession,
    Reminder,
    ReminderKind,
    ReminderStatus,
)

SCHEDULED_KINDS = (ReminderKind.LAB_CHECKLIST, ReminderKind.PREP, ReminderKind.DAY_BEFORE)
LIVE = (ReminderStatus.PENDING, ReminderStatus.SENDING)


def _channels_for(patient, kind: str) -> list[str]:
    """Which channels a patient gets a kind on. Opted-out channels get nothing."""
    pref = patient.preferred_channel
    wants_email = pref in ("email", "both") or not patient.can_text
    wants_sms = pref in ("sms", "both") or not patient.can_email
    channels = []
    if kind == ReminderKind.DAY_BEFORE:
        # The day-before nudge is a short text; email only for patients who cannot be texted.
        if patient.can_text:
            return [Channel.SMS]
        return [Channel.EMAIL] if patient.can_email else []
    if kind in (ReminderKind.LAB_CHECKLIST, ReminderKind.PREP):
        # Checklists and prep advice need room: always email when we may.
        if patient.can_email:
            channels.append(Channel.EMAIL)
        elif patient.can_text:
            channels.append(Channel.SMS)
        return channels
    if wants_email and patient.can_email:
        channels.append(Channel.EMAIL)
    if wants_sms and patient.can_text:
        channels.append(Channel.SMS)
    return channels


def scheduled_due_times(session: InfusionSession, center: CenterSettings) -> dict[str, dt.datetime]:
    """When each scheduled reminder of a session is due (center-local clock for day arithmetic)."""
    tz = ZoneInfo(center.time_zone)
    local_start = session.start.astimezone(tz)
    day = local_start.date()

    def at(days_before: int, hour: int, minute: int = 0) -> dt.datetime:
        return dt.datetime.combine(
            day - dt.timedelta(days=days_before), dt.time(hour, minute), tzinfo=tz
        )

    due = {
        ReminderKind.LAB_CHECKLIST: at(center.lab_checklist_days_before, 10),
        ReminderKind.PREP: at(center.prep_reminder_days_before, 10),
    }
    if center.day_before_sms:
        due[ReminderKind.DAY_BEFORE] = at(1, center.day_before_hour)
    return due


def plan_reminders(
    session: InfusionSession,
    *,
    center: CenterSettings | None = None,
    already_sent: frozenset[str] = frozenset(),
) -> list[Reminder]:
    """Create the scheduled reminders of a newly booked session. Past-due ones go out at once
    (a booking 2 days ahead still gets its checklist now), except the day-before nudge if the
    session is sooner than that, and kinds in `already_sent` (a move must not repeat, right
    after its move notice, a reminder the patient already has)."""
    center = center or CenterSettings.load()
    now = timezone.now()
    rows = []
    # Lab checklist only for protocols that gate on labs.
    has_labs = session.protocol.lab_requirements.exists()
    for kind, due_at in scheduled_due_times(session, center).items():
        if kind == ReminderKind.LAB_CHECKLIST and not has_labs:
            continue
        if due_at >= session.start:
            continue
        if due_at < now and (kind == ReminderKind.DAY_BEFORE or kind in already_sent):
            continue
        for channel in _channels_for(session.patient, kind):
            rows.append(
                Reminder(session=session, kind=kind, channel=channel, due_at=max(due_at, now))
            )
    return Reminder.objects.bulk_create(rows)


def cancel_reminders(session: InfusionSession, *, reason: str) -> int:
    """Cancel every reminder of a session that has not gone out."""
    return (
        Reminder.objects.filter(session=session, status__in=LIVE)
        .exclude(kind=ReminderKind.CANCELLATION)
        .update(
            status=ReminderStatus.CANCELLED,
            skip_reason=reason[:200],
            lease_until=None,
            updated_at=timezone.now(),
        )
    )


def retime_reminders(
    session: InfusionSession, *, center: CenterSettings | None = None
) -> list[Reminder]:
    """After a move: drop the pending scheduled reminders and plan them anew for the new time.
    Reminders already sent stay as history."""
    Reminder.objects.filter(session=session, kind__in=SCHEDULED_KINDS, status__in=LIVE).update(
        status=ReminderStatus.CANCELLED,
        skip_reason="session moved",
        lease_until=None,
        updated_at=timezone.now(),
    )
    sent = frozenset(
        Reminder.objects.filter(
            session=session, kind__in=SCHEDULED_KINDS, status=ReminderStatus.SENT
        ).values_list("kind", flat=True)
    )
    return plan_reminders(session, center=center, already_sent=sent)


def queue_notice(session: InfusionSession, kind: str) -> list[Reminder]:
    """A cancellation or move notice, due now, on every channel the patient allows. Quiet
    hours still apply at dispatch; the daily text cap does not. A second move before the
    first notice went out replaces it: the patient hears about the final time once."""
    now = timezone.now()
    if kind == ReminderKind.RESCHEDULE:
        Reminder.objects.filter(session=session, kind=kind, status__in=LIVE).update(
            status=ReminderStatus.CANCELLED,
            skip_reason="superseded by a later move",
            lease_until=None,
            updated_at=now,
        )
    rows = [
        Reminder(session=session, kind=kind, channel=ch, due_at=now)
        for ch in _channels_for(session.patient, kind)
    ]
    return Reminder.objects.bulk_create(rows)
