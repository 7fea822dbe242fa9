"""Texts patients send back: STOP / START / HELP, C to confirm their next visit, and YES / NO
to a waitlist offer (YES without an open offer keeps meaning START).

STOP is stored on every patient with that mobile (Patient.sms_opted_out_at) and their unsent
texts are skipped; after it nothing more is texted until START.
"""

from __future__ import annotations

import logging
from zoneinfo import ZoneInfo

from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone

from patients.models import Patient, normalize_mobile
from scheduling import services
from scheduling.models import (
    CenterSettings,
    Channel,
    InfusionSession,
    Reminder,
    ReminderStatus,
    SessionStatus,
)
from scheduling.notifications.messages import clock, short_date, sms_sender_name
from waitlist.inbound import answer as waitlist_answer

log = logging.getLogger(__name__)

# Carrier/Twilio standard opt-out and opt-in keywords.
STOP_WORDS = {"STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT", "OPTOUT", "REVOKE"}
START_WORDS = {"START", "UNSTOP", "YES"}
HELP_WORDS = {"HELP", "INFO"}
CONFIRM_WORDS = {"C", "CONFIRM"}


def _patients(number: str):
    try:
        number = normalize_mobile(number)
    except Exception:
        return Patient.objects.none()
    return Patient.objects.filter(mobile=number) if number else Patient.objects.none()


@transaction.atomic
def opt_out(number: str) -> int:
    now = timezone.now()
    patients = list(_patients(number).select_for_update())
    for p in patients:
        if p.sms_opted_out_at is None:
            p.sms_opted_out_at = now
            p.save(update_fields=["sms_opted_out_at"])
    Reminder.objects.filter(
        session__patient__in=patients, channel=Channel.SMS, status=ReminderStatus.PENDING
    ).update(status=ReminderStatus.SKIPPED, skip_reason="patient opted out (STOP)", updated_at=now)
    return len(patients)


@transaction.atomic
def opt_in(number: str) -> int:
    return _patients(number).update(sms_opted_out_at=None)


def confirm_next(number: str) -> InfusionSession | None:
    session = (
        InfusionSession.objects.filter(
            patient__in=_patients(number), status=SessionStatus.BOOKED, start__gt=timezone.now()
        )
        .order_by("start")
        .first()
    )
    if session is None:
        return None
    return services.confirm(session=session, actor_label="patient SMS")


def handle(from_number: str, body: str) -> str | None:
    """The reply to send back (None: say nothing; after STOP the carrier confirms)."""

    word = (body or "").strip().upper().rstrip(".!")
    center = CenterSettings.load()
    sender = sms_sender_name(center)
    if word in STOP_WORDS:
        opt_out(from_number)
        return None
    offer_reply = waitlist_answer(from_number, word)  # YES/NO to an open waitlist offer
    if offer_reply is not None:
        return offer_reply
    if word in START_WORDS:
        opt_in(from_number)
        return f"{sender}: you will get visit texts again. Reply STOP to opt out."
    known = _patients(from_number)
    if known.exists() and not known.filter(sms_opted_out_at__isnull=True).exists():
        return None  # opted out: no reply of any kind until START
    if word in HELP_WORDS:
        return render_to_string(
            "notifications/sms/help.txt", {"sender_name": sender, "phone": center.phone}
        ).strip()
    if word in CONFIRM_WORDS:
        session = confirm_next(from_number)
        if session is None:
            return f"{sender}: we found no visit to confirm. Call {center.phone}."
        start = session.start.astimezone(ZoneInfo(center.time_zone))
        return (
            f"{sender}: thank you, your visit {short_date(start)} at {clock(start)} is confirmed."
        )
    return f"{sender}: reply C to confirm, HELP for help, STOP to opt out. Call {center.phone}."
