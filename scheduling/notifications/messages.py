"""What a reminder says: email (plain text + HTML + .ics) and SMS, from templates/notifications/.

Emails may name the treatment and the missing labs (the patient's own mailbox). Texts carry only
the center, the date and time and a link: no drug, diagnosis or lab names, one GSM segment.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string

from patients import links
from scheduling.models import CenterSettings, InfusionSession, Reminder, ReminderKind
from scheduling.notifications.ics import session_ics
from scheduling.notifications.sms import fits_one_segment

SUBJECTS = {
    ReminderKind.LAB_CHECKLIST: "Labs to get before your visit on {date}",
    ReminderKind.PREP: "Getting ready for your visit on {date}",
    ReminderKind.DAY_BEFORE: "See you tomorrow, {date} at {time}",
    ReminderKind.CANCELLATION: "Your visit on {date} is cancelled",
    ReminderKind.RESCHEDULE: "Your visit has moved to {date} at {time}",
}


def sms_sender_name(center: CenterSettings) -> str:
    if settings.SMS_SENDER_NAME:
        return settings.SMS_SENDER_NAME
    return center.patient_facing_name


def clock(t: dt.datetime) -> str:
    """9:00 AM"""
    return f"{t.hour % 12 or 12}:{t.minute:02d} {'AM' if t.hour < 12 else 'PM'}"


def short_date(t: dt.datetime) -> str:
    """Tue Dec 1"""
    return f"{t:%a %b} {t.day}"


def long_date(t: dt.datetime) -> str:
    """Tuesday, December 1, 2026"""
    return f"{t:%A, %B} {t.day}, {t.year}"


def duration_text(minutes: int) -> str:
    hours, mins = divmod(minutes, 60)
    parts = []
    if hours:
        parts.append(f"{hours} hour{'s' if hours != 1 else ''}")
    if mins:
        parts.append(f"{mins} minutes")
    return " ".join(parts) or "under an hour"


@dataclass
class Email:
    subject: str
    text: str
    html: str
    ics: bytes | None


class RenderCache:
    """What several messages about one session share within one dispatch batch: the derived
    dates and times, the four signed links and the .ics invite. Keyed by every session field
    they are built from (a moved session gets new ones); the session, patient and protocol
    objects themselves are never cached (each message shows the rows it was sent from)."""

    def __init__(self):
        self._parts: dict = {}
        self._ics: dict = {}

    @staticmethod
    def key(session: InfusionSession, center: CenterSettings) -> tuple:
        return (
            session.pk,
            session.start,
            session.observation_end,
            session.updated_at,
            id(center),
            center.time_zone,
            center.name,
            center.phone,
            center.address,
        )

    def parts(self, session: InfusionSession, center: CenterSettings) -> dict:
        key = self.key(session, center)
        parts = self._parts.get(key)
        if parts is None:
            parts = self._parts[key] = _session_parts(session, center)
        return parts

    def ics(self, session: InfusionSession, center: CenterSettings, *, cancelled: bool) -> bytes:
        key = (self.key(session, center), cancelled)
        body = self._ics.get(key)
        if body is None:
            body = self._ics[key] = session_ics(session, center, cancelled=cancelled)
        return body


def _session_parts(session: InfusionSession, center: CenterSettings) -> dict:
    """The derived values of a session message: no model objects, safe to share."""
    tz = ZoneInfo(center.time_zone)
    start = session.start.astimezone(tz)
    # `start` is arrival: the chair is taken and premedication begins then. Plan for the whole
    # chair time up to the end of observation (turnover is the center's, not the patient's).
    plan_minutes = int((session.observation_end - session.start).total_seconds() // 60)
    return {
        "sender_name": sms_sender_name(center),
        "start": start,
        "date_long": long_date(start),
        "date_short": short_date(start),
        "time": clock(start),
        "arrival_time": clock(start),
        "plan_minutes": plan_minutes,
        "plan_text": duration_text(plan_minutes),
        "leave_time": clock(session.observation_end.astimezone(tz)),
        "manage_url": links.url_for(session.pk, links.MANAGE),
        "confirm_url": links.url_for(session.pk, links.CONFIRM),
        "cancel_url": links.url_for(session.pk, links.CANCEL),
        "checklist_url": links.url_for(session.pk, links.CHECKLIST),
    }


def session_context(
    session: InfusionSession,
    center: CenterSettings,
    *,
    checklist=None,
    cache: RenderCache | None = None,
) -> dict:
    """Everything a patient message about one session may show."""
    parts = cache.parts(session, center) if cache else _session_parts(session, center)
    protocol = session.protocol
    return {
        **parts,
        "center": center,
        "patient_first_name": session.patient.first_name,
        "protocol": protocol,
        "session": session,
        "drowsy": protocol.premed_causes_drowsiness,
        "prep_advice": protocol.prep_advice,
        "checklist": checklist,
        "missing": list(checklist.missing) if checklist else [],
    }


def render_email(
    reminder: Reminder, center: CenterSettings, *, checklist=None, cache: RenderCache | None = None
) -> Email:
    session = reminder.session
    ctx = session_context(session, center, checklist=checklist, cache=cache)
    ctx["kind"] = reminder.kind
    subject = SUBJECTS[reminder.kind].format(date=ctx["date_short"], time=ctx["time"])
    text = render_to_string(f"notifications/email/{reminder.kind}.txt", ctx)
    html = render_to_string(f"notifications/email/{reminder.kind}.html", ctx)
    cancelled = reminder.kind == ReminderKind.CANCELLATION
    ics = (
        cache.ics(session, center, cancelled=cancelled)
        if cache
        else session_ics(session, center, cancelled=cancelled)
    )
    return Email(subject=subject, text=text, html=html, ics=ics)


def build_email_message(
    reminder: Reminder,
    center: CenterSettings,
    *,
    checklist=None,
    connection=None,
    cache: RenderCache | None = None,
) -> EmailMultiAlternatives:
    """The message with a stable Message-ID per reminder, so a resend is recognisable."""
    email = render_email(reminder, center, checklist=checklist, cache=cache)
    domain = settings.DEFAULT_FROM_EMAIL.rsplit("@", 1)[-1].strip(">").strip() or "localhost"
    msg = EmailMultiAlternatives(
        subject=email.subject,
        body=email.text,
        to=[reminder.session.patient.email],
        headers={
            "Message-ID": f"<reminder-{reminder.pk}@{domain}>",
            "X-Reminder-Id": str(reminder.pk),
            "X-Reminder-Kind": reminder.kind,
        },
        connection=connection,
    )
    msg.attach_alternative(email.html, "text/html")
    if email.ics:
        method = "CANCEL" if reminder.kind == ReminderKind.CANCELLATION else "PUBLISH"
        msg.attach("visit.ics", email.ics, f"text/calendar; charset=utf-8; method={method}")
    return msg


def render_sms(
    reminder: Reminder, center: CenterSettings, *, cache: RenderCache | None = None
) -> str:
    """One GSM segment: center, date, time, link. Falls back to a shorter wording if needed."""
    session = reminder.session
    parts = cache.parts(session, center) if cache else _session_parts(session, center)
    ctx = {
        "sender_name": parts["sender_name"],
        "date": parts["date_short"],
        "time": parts["time"],
        "link": parts["manage_url"],
        "phone": center.phone,
    }
    ctx["short_sender"] = ctx["sender_name"][:24].rstrip()  # no "…": it is not a GSM character
    body = _one_line(render_to_string(f"notifications/sms/{reminder.kind}.txt", ctx))
    if not fits_one_segment(body):
        body = _one_line(render_to_string("notifications/sms/short.txt", ctx))
    return body


def _one_line(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()
