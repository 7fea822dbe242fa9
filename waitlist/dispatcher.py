"""One waitlist dispatcher cycle (Celery beat, every minute; also kicked after an answer).

1. entries whose window passed end; holds that ran out expire;
2. every open freed slot is offered to the next patients who fit, in priority order;
3. pending offer texts and emails go out.

One cycle at a time (a PostgreSQL advisory lock; a second run returns at once), so two cycles
never offer the same slot twice; acceptances run beside it under their own row locks.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import logging

from django.db import connection
from django.db.models import Count, Q
from django.utils import timezone

from waitlist.models import (
    FreedSlot,
    FreedStatus,
    OfferStatus,
    WaitlistEntry,
    WaitlistSettings,
)

log = logging.getLogger(__name__)
LOCK_KEY = 0x5741_4954  # "WAIT"
# An open slot nobody fitted is looked at again when a patient who could want it joins or
# edits their entry, when one of its offers ends, or after this (bookings elsewhere changed).
REMATCH_AFTER = dt.timedelta(minutes=60)


def _entry_changes() -> list[tuple[dt.date, dt.date, dt.datetime]]:
    """(earliest, latest, updated_at) of every active entry: one read per cycle, so telling
    whether a slot has new candidates costs no query per open slot."""
    return list(
        WaitlistEntry.objects.filter(status="active").values_list(
            "earliest", "latest", "updated_at"
        )
    )


def _new_candidates(freed: FreedSlot, since: dt.datetime, changes, tz) -> bool:
    """An active entry covering the slot's day was added or edited since `since`."""
    day = freed.start.astimezone(tz).date()
    return any(a <= day <= b and at > since for a, b, at in changes)


@contextlib.contextmanager
def _single_cycle():
    if connection.vendor != "postgresql":
        yield True
        return
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_lock(%s)", [LOCK_KEY])
        got = cursor.fetchone()[0]
    try:
        yield got
    finally:
        if got:
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_unlock(%s)", [LOCK_KEY])


def run_cycle(*, now: dt.datetime | None = None) -> dict:
    """Run one cycle; returns what it did (counts), or {"skipped": 1} if another runs."""
    from scheduling.world import center_tz
    from waitlist import services
    from waitlist.services.notify import send_pending

    now = now or timezone.now()
    with _single_cycle() as got:
        if not got:
            return {"skipped": 1}
        stats = {
            "entries_expired": services.expire_entries(),
            "holds_expired": services.expire_holds(now=now),
            "ended_withdrawn": services.withdraw_ended_entry_offers(),
            "offers_made": 0,
        }
        conf = WaitlistSettings.load()
        open_slots = list(
            FreedSlot.objects.filter(status=FreedStatus.OPEN)
            .annotate(live=Count("offers", filter=Q(offers__status=OfferStatus.OFFERED)))
            .order_by("start", "pk")
        )
        changes = _entry_changes() if open_slots else []
        tz = center_tz()
        for freed in open_slots:
            if freed.live >= conf.offers_at_once:
                continue
            stale = (
                freed.last_matched_at is None  # new, one of its offers ended, or it waited
                or now - freed.last_matched_at >= REMATCH_AFTER
                or freed.start < now + dt.timedelta(minutes=conf.min_lead_minutes)  # to close
                or _new_candidates(freed, freed.last_matched_at, changes, tz)
            )
            if not stale:
                continue
            stats["offers_made"] += len(services.make_offers(freed, now=now))
        stats["messages"] = send_pending(now=now)
    if stats["offers_made"] or stats["holds_expired"]:
        log.info("waitlist cycle: %s", stats)
    return stats
