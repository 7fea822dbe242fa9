"""Staff emails: the charge nurse's afternoon digest and the front desk's cancellation notice.

Staff mail may name patients, drugs and labs (it goes to the clinic's own addresses).
"""

from __future__ import annotations

import datetime as dt
import logging
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.utils import timezone

from scheduling import selectors
from scheduling.models import CenterSettings, InfusionSession, Nurse
from scheduling.notifications.messages import clock, long_date

log = logging.getLogger(__name__)


def charge_nurse_recipients(center: CenterSettings) -> list[str]:
    if center.charge_nurse_email:
        return [center.charge_nurse_email]
    return list(
        Nurse.objects.filter(is_charge_nurse=True, active=True)
        .exclude(email="")
        .values_list("email", flat=True)
    )


def not_ready(day: dt.date) -> list[dict]:
    """Sessions on `day` whose labs are not all green or whose REMS check is not ready."""

    tz = ZoneInfo(CenterSettings.load().time_zone)
    rows = []
    for entry in selectors.roster(day=day):
        s = entry.session
        if s.status not in ("booked", "confirmed"):
            continue
        lab_problem = entry.lab.status != "green"
        rems_problem = entry.rems == "not_authorized"
        if not (lab_problem or rems_problem):
            continue
        rows.append(
            {
                "session": s,
                "time": clock(s.start.astimezone(tz)),
                "patient": s.patient.full_name,
                "mrn": s.patient.mrn,
                "protocol": s.protocol.brand_name,
                "chair": str(s.chair),
                "labs": [i for i in entry.lab.missing],
                "lab_status": entry.lab.status,
                "rems": entry.rems,
                "rems_program": s.protocol.rems_program,
            }
        )
    return rows


def send_digest(*, today: dt.date | None = None) -> int:
    """Email tomorrow's not-ready list to the charge nurse; returns how many rows it listed.
    Sends nothing when no one is set up to receive it; says so when everyone is ready."""
    center = CenterSettings.load()
    tz = ZoneInfo(center.time_zone)
    today = today or timezone.now().astimezone(tz).date()
    day = today + dt.timedelta(days=1)
    to = charge_nurse_recipients(center)
    if not to:
        log.warning("no charge nurse email (CenterSettings.charge_nurse_email); digest not sent")
        return 0
    rows = not_ready(day)
    ctx = {
        "center": center,
        "day": day,
        "day_text": long_date(dt.datetime.combine(day, dt.time(12))),
        "rows": rows,
        "base_url": settings.PUBLIC_BASE_URL.rstrip("/"),
    }
    subject = (
        f"Tomorrow ({day:%a %b} {day.day}): {len(rows)} patient(s) not ready"
        if rows
        else f"Tomorrow ({day:%a %b} {day.day}): everyone is ready"
    )
    msg = EmailMultiAlternatives(
        subject, render_to_string("notifications/staff/digest.txt", ctx), to=to
    )
    msg.attach_alternative(render_to_string("notifications/staff/digest.html", ctx), "text/html")
    msg.send()
    return len(rows)


def send_front_desk_cancellation(session_id: int) -> bool:
    center = CenterSettings.load()
    if not center.front_desk_email:
        log.warning("no front desk email (CenterSettings.front_desk_email); notice not sent")
        return False
    session = (
        InfusionSession.objects.select_related("patient", "protocol", "chair")
        .filter(pk=session_id)
        .first()
    )
    if session is None:
        return False
    tz = ZoneInfo(center.time_zone)
    start = session.start.astimezone(tz)
    ctx = {
        "session": session,
        "center": center,
        "date": long_date(start),
        "time": clock(start),
        "base_url": settings.PUBLIC_BASE_URL.rstrip("/"),
    }
    subject = (
        f"Patient cancelled: {session.patient.full_name}, {start:%a %b} {start.day} {clock(start)}"
    )
    EmailMultiAlternatives(
        subject,
        render_to_string("notifications/staff/front_desk_cancel.txt", ctx),
        to=[center.front_desk_email],
    ).send()
    return True
