"""Staff email before an authorization ends while the patient has sessions booked after it
(sent once per authorization, `expiry_email_days` ahead; a Celery beat task runs it daily)."""

from __future__ import annotations

import datetime as dt
import logging

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone

from orders.models import Authorization, OrdersSettings
from scheduling.models import ACTIVE_STATUSES, CenterSettings, InfusionSession
from scheduling.roles import MANAGER
from scheduling.world import center_tz

log = logging.getLogger(__name__)


def recipients(rules: OrdersSettings) -> list[str]:
    """The orders settings' staff address, else the front desk's, else the managers'."""
    if rules.staff_email:
        return [rules.staff_email]
    center = CenterSettings.load()
    if getattr(center, "front_desk_email", ""):
        return [center.front_desk_email]
    User = get_user_model()
    return sorted(
        set(
            User.objects.filter(groups__name=MANAGER, is_active=True)
            .exclude(email="")
            .values_list("email", flat=True)
        )
    )


def send_expiry_notices(*, today: dt.date | None = None) -> int:
    """Email staff about every authorization ending within `expiry_email_days` whose patient
    has sessions booked after its end, once each. Returns the number of emails sent."""
    tz = center_tz()
    today = today or timezone.now().astimezone(tz).date()
    rules = OrdersSettings.load()
    to = recipients(rules)
    if not to:
        log.warning("no staff email for authorization notices (OrdersSettings.staff_email)")
        return 0
    horizon = today + dt.timedelta(days=rules.expiry_email_days)
    due = Authorization.objects.filter(
        voided_at__isnull=True,
        expiry_notice_sent_at__isnull=True,
        valid_to__gte=today,
        valid_to__lte=horizon,
    ).select_related("patient")
    sent = 0
    for auth in due:
        after = dt.datetime.combine(auth.valid_to + dt.timedelta(days=1), dt.time(0), tzinfo=tz)
        booked = list(
            InfusionSession.objects.filter(
                patient=auth.patient, status__in=ACTIVE_STATUSES, start__gte=after
            )
            .select_related("protocol")
            .order_by("start")
        )
        booked = [s for s in booked if not auth.hcpcs or s.protocol.billing_code in auth.hcpcs]
        if not booked:
            continue
        with transaction.atomic():
            # Claim it first so two workers never send the same notice.
            claimed = Authorization.objects.filter(
                pk=auth.pk, expiry_notice_sent_at__isnull=True
            ).update(expiry_notice_sent_at=timezone.now())
            if not claimed:
                continue
            ctx = {
                "auth": auth,
                "patient": auth.patient,
                "sessions": [s.start.astimezone(tz) for s in booked],
                "days_left": (auth.valid_to - today).days,
                "base_url": settings.PUBLIC_BASE_URL.rstrip("/"),
            }
            EmailMultiAlternatives(
                f"Authorization ends {auth.valid_to:%b} {auth.valid_to.day}: "
                f"{auth.patient.full_name} has {len(booked)} session(s) booked after it",
                render_to_string("orders/email/authorization_expiry.txt", ctx),
                to=to,
            ).send()
        sent += 1
    return sent
