"""Planner offers to patients: "a time is free for your next visit", with a signed link.

deliver_due_offers claims sent-but-not-delivered proposals whose send time has come
(select_for_update(skip_locked), so two workers never send one twice), sends a one-segment
text and/or a short email, and stamps sent_at in the same transaction as the claim. Minimal
health content: the center, the date and time, the link; no drug or diagnosis.
"""

from __future__ import annotations

import logging

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.utils import timezone

from patients import links
from scheduling.models import CenterSettings, PlanProposal, ProposalStatus
from scheduling.notifications.messages import clock, long_date, short_date, sms_sender_name
from scheduling.notifications.sms import send_sms
from scheduling.world import center_tz

log = logging.getLogger(__name__)
BATCH = 50


def offer_url(proposal_id: int) -> str:
    return links.url_for(proposal_id, links.OFFER)


def offer_sms(proposal: PlanProposal, center: CenterSettings) -> str:
    local = proposal.start.astimezone(center_tz())
    return (
        f"{sms_sender_name(center)[:24].rstrip()}: a time is free for your next visit, "
        f"{short_date(local)} {clock(local)}. Accept or decline: {offer_url(proposal.pk)}"
    )


def offer_email(proposal: PlanProposal, center: CenterSettings) -> EmailMultiAlternatives:
    local = proposal.start.astimezone(center_tz())
    body = (
        f"Hello {proposal.patient.first_name},\n\n"
        f"{center.patient_facing_name} has a time for your next visit: {long_date(local)} at {clock(local)}.\n"
        f"Please accept or decline here: {offer_url(proposal.pk)}\n\n"
        f"Nothing is booked until you accept. Questions? Call us"
        f"{' at ' + center.phone if center.phone else ''}.\n"
    )
    domain = settings.DEFAULT_FROM_EMAIL.rsplit("@", 1)[-1].strip(">").strip() or "localhost"
    return EmailMultiAlternatives(
        subject=f"{center.patient_facing_name}: a time for your next visit",
        body=body,
        to=[proposal.patient.email],
        headers={"Message-ID": f"<offer-{proposal.pk}@{domain}>"},
    )


def deliver_due_offers(*, now=None) -> int:
    """Send every offer whose time has come; returns how many went out."""
    now = now or timezone.now()
    center = CenterSettings.load()
    sent = 0
    with transaction.atomic():
        due = list(
            PlanProposal.objects.select_for_update(skip_locked=True, of=("self",))
            .select_related("patient")
            .filter(status=ProposalStatus.SENT, sent_at__isnull=True, send_due_at__lte=now)
            .order_by("send_due_at", "pk")[:BATCH]
        )
        for p in due:
            channels = set(p.offer_channels.split(",")) if p.offer_channels else set()
            ok = False
            if "sms" in channels and p.patient.can_text:
                try:
                    send_sms(p.patient.mobile, offer_sms(p, center))
                    ok = True
                except Exception:
                    log.warning("offer %s: text failed", p.pk, exc_info=True)
            if "email" in channels and p.patient.can_email:
                try:
                    offer_email(p, center).send()
                    ok = True
                except Exception:
                    log.warning("offer %s: email failed", p.pk, exc_info=True)
            if ok:
                p.sent_at = now
                p.save(update_fields=["sent_at"])
                sent += 1
            else:
                # Try again at the next run; the coordinator sees "not delivered yet".
                p.send_due_at = now + timezone.timedelta(minutes=5)
                p.save(update_fields=["send_due_at"])
    return sent
