"""seed_demo step "waitlist" (after the bookings): a few dozen patients booked later than
their due date wait for an earlier chair, so the waitlist page, the board and the dispatcher
have something to work with on the first run."""

from __future__ import annotations

import datetime as dt

from scheduling.models import InfusionSession, SessionStatus
from scheduling.world import center_tz
from waitlist import services
from waitlist.models import WaitlistEntry

DEMO_ENTRIES = 40


def seed_waitlist(demo) -> None:
    """Put up to DEMO_ENTRIES booked patients (maintenance doses, a week or more out) on the
    waitlist from today to the day before their booking; a quarter mornings only."""
    tz = center_tz()
    today = demo.today or dt.datetime.now(tz).date()
    soon = dt.datetime.combine(today + dt.timedelta(days=7), dt.time(0), tzinfo=tz)
    candidates = list(
        InfusionSession.objects.filter(
            status=SessionStatus.BOOKED, start__gte=soon, dose_number__gt=1
        )
        .select_related("patient", "protocol")
        .order_by("start", "pk")[:400]
    )
    demo.rng.shuffle(candidates)
    added = 0
    seen = set()
    for s in candidates:
        if added >= DEMO_ENTRIES or s.patient_id in seen:
            continue
        seen.add(s.patient_id)
        if not s.patient.can_text and not s.patient.can_email:
            continue
        morning = demo.rng.random() < 0.25
        try:
            services.add_entry(
                patient=s.patient,
                protocol=s.protocol,
                dose_number=s.dose_number,
                earliest=today,
                latest=s.start.astimezone(tz).date() - dt.timedelta(days=1),
                windows=[{"weekdays": [0, 1, 2, 3, 4], "start": "07:00", "end": "13:00"}]
                if morning
                else None,
                min_notice_hours=demo.rng.choice((4, 24, 48)),
                channel="sms" if s.patient.can_text else "email",
            )
        except Exception:  # a demo patient the rules refuse is simply not waitlisted
            continue
        added += 1
    demo.say(f"waitlist: {WaitlistEntry.objects.count()} patients waiting for an earlier chair")
