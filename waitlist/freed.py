"""Freed chair time: the booking services call record_freed_time inside their transaction."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from waitlist.models import FreedSlot

# Chair time this close to now is not worth recording: nobody can be offered it.
MIN_AHEAD = dt.timedelta(minutes=30)


def record_freed_time(*, session, reason: str, start=None, end=None, chair_id=None):
    """Write a FreedSlot for the chair time `session` held (before a cancel or a move changes
    it), in the caller's transaction, so freed time is never lost or recorded for a change
    that rolled back. The waitlist dispatcher picks it up on its next cycle. Returns the row,
    or None when the time is past, too close, or the session had no chair."""
    start = start or session.start
    end = end or session.chair_release_at
    chair_id = chair_id or session.chair_id
    if not (start and end and chair_id) or start < timezone.now() + MIN_AHEAD:
        return None
    return FreedSlot.objects.create(
        chair_id=chair_id,
        start=start,
        end=end,
        source_session=session,
        source_patient_id=session.patient_id,
        reason=reason[:40],
    )


# A remainder shorter than this is not offered: no visit fits it, even with the chair free
# beyond it.
MIN_REMAINDER = dt.timedelta(minutes=30)


def record_remainders(*, freed: FreedSlot, booked) -> list[FreedSlot]:
    """A shorter visit filled part of `freed`: the chair time before and after it goes back
    to the waitlist as remainders of the same freed time (in the caller's transaction).

    Why: a four-hour infusion cancelled and refilled with a two-hour one left two chair-hours
    unoffered for good; offering the rest lets a second patient come earlier too."""
    if booked.chair_id != freed.chair_id:
        return []
    pieces = [
        (freed.start, min(booked.start, freed.end)),
        (max(booked.chair_release_at, freed.start), freed.end),
    ]
    soon = timezone.now() + MIN_AHEAD
    made = []
    for start, end in pieces:
        start = max(start, soon)
        if end - start < MIN_REMAINDER:
            continue
        made.append(
            FreedSlot.objects.create(
                chair_id=freed.chair_id,
                start=start,
                end=end,
                source_session_id=freed.source_session_id,
                source_patient_id=freed.source_patient_id,
                reason="remainder",
                parent=freed,
            )
        )
    return made
