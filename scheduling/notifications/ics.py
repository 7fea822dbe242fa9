"""The .ics invite attached to patient emails (icalendar), in the center's time zone.

DTSTART/DTEND carry TZID=<center zone> and the calendar embeds the matching VTIMEZONE, so a
phone in another zone still shows the right instant. The UID is stable per session, so a move
updates the same calendar entry and a cancellation removes it.
"""

from __future__ import annotations

import functools
from zoneinfo import ZoneInfo

from django.conf import settings
from django.utils import timezone
from icalendar import Calendar, Event, Timezone, vText

from scheduling.models import CenterSettings, InfusionSession


def _domain() -> str:
    return settings.DEFAULT_FROM_EMAIL.rsplit("@", 1)[-1].strip(">").strip() or "localhost"


def session_ics(
    session: InfusionSession, center: CenterSettings, *, cancelled: bool = False
) -> bytes:
    tz = ZoneInfo(center.time_zone)
    cal = Calendar()
    cal.add("prodid", "-//Infusion Center Scheduler//EN")
    cal.add("version", "2.0")
    cal.add("method", "CANCEL" if cancelled else "PUBLISH")
    event = Event()
    event.add("uid", f"session-{session.pk}@{_domain()}")
    event.add("dtstamp", timezone.now())
    # `start` is arrival; the visit ends when observation ends.
    event.add("dtstart", session.start.astimezone(tz))
    event.add("dtend", session.observation_end.astimezone(tz))
    event.add("summary", f"Visit at {center.patient_facing_name}")
    if center.address:
        event["location"] = vText(center.address)
    event.add("description", f"Arrive at the time shown. Questions or changes: {center.phone}.")
    # SEQUENCE must grow with every change so calendars replace the earlier version.
    event.add("sequence", int(session.updated_at.timestamp()) // 60 if session.updated_at else 0)
    event.add("status", "CANCELLED" if cancelled else "CONFIRMED")
    cal.add_component(event)
    body = cal.to_ical()
    end = b"END:VCALENDAR"
    return body[: body.rindex(end)] + _vtimezone(center.time_zone) + body[body.rindex(end) :]


@functools.lru_cache(maxsize=16)
def _vtimezone(name: str) -> bytes:
    """The zone's VTIMEZONE, computed and serialized once per process (the slow part of an
    invite: decades of DST transitions)."""
    return Timezone.from_tzid(name).to_ical()
