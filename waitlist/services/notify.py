"""Sending offer texts and emails from the OfferMessage outbox (the dispatcher calls this).

Each message has its own short transaction: lock the patient (STOP and the daily text cap are
per patient, the order reminders use), then the message row; re-check the gates on fresh rows;
send; mark `sent`. Texts carry no health information: the center, a day and time, the hold
time and a link. Nothing goes out in the patient's quiet hours (the message waits), after STOP
(skipped; an offer that cannot reach the patient is withdrawn so the next one is offered), or
past the one-automated-text-a-day cap unless offers are a configured exception.
"""

from __future__ import annotations

import datetime as dt
import logging

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.utils import timezone

from patients.models import Patient
from scheduling.models import CenterSettings, Channel, Reminder, ReminderStatus
from scheduling.notifications import sms
from scheduling.notifications.dispatch import AUTOMATED_KINDS
from scheduling.notifications.messages import clock, short_date, sms_sender_name
from waitlist import links
from waitlist.models import (
    MessageKind,
    MessageStatus,
    OfferMessage,
    OfferStatus,
    WaitlistSettings,
)
from waitlist.services.offers import patient_is_quiet, patient_tz

log = logging.getLogger(__name__)
MAX_ATTEMPTS = 5


def render(message: OfferMessage, center: CenterSettings) -> tuple[str, str]:
    """(subject, body) of a message, in the patient's clock. No drug, dose or diagnosis."""
    offer = message.offer
    tz = patient_tz(offer.patient, center)
    start = offer.start.astimezone(tz)
    when = f"{short_date(start)} at {clock(start)}"
    sender = sms_sender_name(center)
    if message.kind == MessageKind.TAKEN:
        body = (
            f"{sender}: sorry, the earlier visit {when} was taken by someone else. "
            f"You stay on our waitlist."
        )
        return f"The earlier visit {when} was taken", body
    hold = offer.hold_until.astimezone(tz)
    by = (
        clock(hold)
        if hold.date() == timezone.now().astimezone(tz).date()
        else (f"{short_date(hold)} {clock(hold)}")
    )
    url = links.url_for(offer.pk)
    if message.channel == Channel.SMS:
        body = f"{sender}: an earlier visit is open {when}. Reply YES by {by} to take it: {url}"
    else:
        body = (
            f"An earlier visit is open {when}.\n\nIt is held for you until {by}. To take it "
            f"(or say no), open:\n{url}\n\nIf you take it, your current booking moves to "
            f"this time. Questions: {center.phone or 'call us'}.\n\n{center.name}"
        )
    return f"An earlier visit is open {when}", body


def _texts_today(patient: Patient, center: CenterSettings, now: dt.datetime) -> int:
    tz = patient_tz(patient, center)
    since = dt.datetime.combine(now.astimezone(tz).date(), dt.time(0), tzinfo=tz)
    reminders = Reminder.objects.filter(
        session__patient=patient,
        channel=Channel.SMS,
        kind__in=AUTOMATED_KINDS,
        status=ReminderStatus.SENT,
        sent_at__gte=since,
    ).count()
    offers = OfferMessage.objects.filter(
        offer__patient=patient,
        channel=Channel.SMS,
        status=MessageStatus.SENT,
        sent_at__gte=since,
    ).count()
    return reminders + offers


def send_pending(*, now: dt.datetime | None = None, limit: int = 200) -> dict[str, int]:
    """Send what is pending; returns counts by outcome. Offers that cannot reach the patient
    are withdrawn afterwards (in their own transaction, lock order patient → freed → offer)."""
    now = now or timezone.now()
    center = CenterSettings.load()
    conf = WaitlistSettings.load()
    counts: dict[str, int] = {}
    unreachable: list[int] = []
    ids = list(
        OfferMessage.objects.filter(status=MessageStatus.PENDING)
        .order_by("created_at", "pk")
        .values_list("pk", "offer__patient_id")[:limit]
    )
    backend: list = [None]  # one SMS backend for the run, made on first use
    for message_id, patient_id in ids:
        with transaction.atomic():
            patient = Patient.objects.select_for_update().get(pk=patient_id)
            message = (
                OfferMessage.objects.select_for_update(of=("self",))
                .select_related("offer")
                .filter(pk=message_id, status=MessageStatus.PENDING)
                .first()
            )
            if message is None:
                continue
            message.offer.patient = patient
            outcome = _one(message, patient, center, conf, now, backend)
        counts[outcome] = counts.get(outcome, 0) + 1
        if outcome == "unreachable":
            unreachable.append(message.offer_id)
    if unreachable:
        from waitlist.services.offers import _lock_for_answer, _set_status

        for offer_id in unreachable:
            with transaction.atomic():
                _f, _o, offer = _lock_for_answer(offer_id)
                if offer.status == OfferStatus.OFFERED:
                    _set_status(offer, OfferStatus.WITHDRAWN, "the patient cannot be reached")
    return counts


def _finish(message, status, **fields):
    message.status = status
    for k, v in fields.items():
        setattr(message, k, v)
    message.save()


def _one(message, patient, center, conf, now, backend_holder) -> str:
    offer = message.offer
    if message.kind == MessageKind.OFFER and offer.status != OfferStatus.OFFERED:
        _finish(message, MessageStatus.SKIPPED, skip_reason=f"offer {offer.status}")
        return "skipped"
    if patient_is_quiet(patient, now, center):
        return "deferred"  # stays pending: the morning's cycle sends it
    channel = message.channel
    if channel == Channel.SMS and not patient.can_text:
        reason = "patient opted out of texts" if patient.sms_opted_out_at else "cannot be texted"
        _finish(message, MessageStatus.SKIPPED, skip_reason=reason)
        return "unreachable" if message.kind == MessageKind.OFFER else "skipped"
    if channel == Channel.EMAIL and not patient.can_email:
        _finish(message, MessageStatus.SKIPPED, skip_reason="cannot be emailed")
        return "unreachable" if message.kind == MessageKind.OFFER else "skipped"
    # The "taken" notice follows its offer: an exception to the daily cap only when offers
    # are (with the top few offered at once, most offers end in one).
    if (
        channel == Channel.SMS
        and not conf.offer_exempt_from_text_cap
        and _texts_today(patient, center, now) >= center.max_automated_sms_per_day
    ):
        if patient.can_email:
            channel = message.channel = Channel.EMAIL
        else:
            _finish(message, MessageStatus.SKIPPED, skip_reason="daily text limit reached")
            return "unreachable" if message.kind == MessageKind.OFFER else "skipped"
    subject, body = render(message, center)
    message.attempts += 1
    try:
        if channel == Channel.SMS:
            if backend_holder[0] is None:
                backend_holder[0] = sms.get_backend()
            provider_id = backend_holder[0].send(patient.mobile, body)
        else:
            email = EmailMultiAlternatives(
                subject=subject,
                body=body,
                from_email=settings.DEFAULT_FROM_EMAIL,
                to=[patient.email],
            )
            email.send(fail_silently=False)
            provider_id = email.extra_headers.get("Message-ID", "email")
    except sms.SmsPermanentError as exc:
        _finish(message, MessageStatus.FAILED, last_error=str(exc)[:500])
        return "unreachable" if message.kind == MessageKind.OFFER else "failed"
    except Exception as exc:  # transient: the next cycle tries again, a few times
        log.warning("offer message %s failed: %s", message.pk, exc)
        status = MessageStatus.FAILED if message.attempts >= MAX_ATTEMPTS else MessageStatus.PENDING
        _finish(message, status, last_error=f"{type(exc).__name__}: {exc}"[:500])
        return "retry"
    _finish(
        message,
        MessageStatus.SENT,
        sent_at=timezone.now(),
        provider_message_id=str(provider_id)[:200],
        last_error="",
    )
    return "sent"
