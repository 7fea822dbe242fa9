"""Replies to an offer text: YES takes the open offer, NO declines it.

YES is also a carrier opt-in word (START synonym): when the number has no open offer sent by
text, YES keeps meaning "text me again" (scheduling.inbound_sms falls through to it).
"""

from __future__ import annotations

from django.utils import timezone

from patients.models import Patient, normalize_mobile
from scheduling.models import CenterSettings
from scheduling.notifications.messages import clock, short_date, sms_sender_name
from waitlist import services
from waitlist.models import Offer, OfferChannel, OfferStatus
from waitlist.services.offers import OfferUnavailable, patient_tz

ACCEPT_WORDS = {"YES", "Y"}
DECLINE_WORDS = {"NO", "N"}


def _open_offer(number: str) -> Offer | None:
    try:
        number = normalize_mobile(number)
    except Exception:
        return None
    if not number:
        return None
    patients = Patient.objects.filter(mobile=number, sms_opted_out_at__isnull=True)
    return (
        Offer.objects.filter(
            patient__in=patients,
            channel=OfferChannel.SMS,
            status__in=(OfferStatus.OFFERED, OfferStatus.TAKEN, OfferStatus.ACCEPTED),
            hold_until__gt=timezone.now() - timezone.timedelta(hours=12),
        )
        .select_related("patient")
        .order_by("-created_at", "-pk")
        .first()
    )


def answer(number: str, word: str) -> str | None:
    """The reply to YES/NO about an offer, or None when the word is not about one."""
    if word not in ACCEPT_WORDS | DECLINE_WORDS:
        return None
    offer = _open_offer(number)
    if offer is None:
        return None
    center = CenterSettings.load()
    sender = sms_sender_name(center)
    tz = patient_tz(offer.patient, center)
    start = offer.start.astimezone(tz)
    when = f"{short_date(start)} at {clock(start)}"
    try:
        if word in ACCEPT_WORDS:
            services.accept_offer(offer=offer, via="sms", actor_label="patient SMS")
            return f"{sender}: you are booked {when}. We will send the details."
        services.decline_offer(offer=offer, via="sms", actor_label="patient SMS")
        return f"{sender}: thank you, your current booking stays. You stay on our waitlist."
    except OfferUnavailable as exc:
        if exc.code == "taken":
            return f"{sender}: sorry, {when} was taken by someone else. You stay on our waitlist."
        return f"{sender}: that offer is closed. You stay on our waitlist."
