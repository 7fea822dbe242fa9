"""Reads of the waitlist: the list in priority order, offers, freed time on a day."""

from __future__ import annotations

import datetime as dt

from django.db.models import Count, Prefetch
from django.utils import timezone

from scheduling.world import center_tz, day_bounds
from waitlist.models import (
    EntryStatus,
    FreedSlot,
    FreedStatus,
    Offer,
    OfferStatus,
    WaitlistEntry,
)


def _today() -> dt.date:
    return timezone.now().astimezone(center_tz()).date()


def waitlist(*, status: str | None = None, patient: int | None = None, protocol: str | None = None):
    """Entries with their offer count: active ones in priority order, then ended ones newest
    first."""
    qs = WaitlistEntry.objects.select_related("patient", "protocol").annotate(
        offers_sent=Count("offers")
    )
    if status:
        qs = qs.filter(status=status)
    if patient:
        qs = qs.filter(patient_id=patient)
    if protocol:
        qs = qs.filter(protocol__code=protocol)
    today = _today()
    entries = list(qs)
    active = sorted((e for e in entries if e.is_active), key=lambda e: e.priority_key(today))
    ended = sorted(
        (e for e in entries if not e.is_active),
        key=lambda e: e.ended_at or e.updated_at,
        reverse=True,
    )
    return active + ended


def priorities() -> dict[int, int]:
    """Entry id -> place in the priority order (1 = offered first), active entries only."""
    today = _today()
    active = sorted(
        WaitlistEntry.objects.filter(status=EntryStatus.ACTIVE), key=lambda e: e.priority_key(today)
    )
    return {e.pk: i for i, e in enumerate(active, start=1)}


def offers(*, patient: int | None = None, status: str | None = None):
    qs = Offer.objects.all()
    if patient:
        qs = qs.filter(patient_id=patient)
    if status:
        qs = qs.filter(status=status)
    return qs.order_by("-created_at", "-pk")


def freed_on_day(day: dt.date) -> list[FreedSlot]:
    """Freed chair time on a center-local day, with its offers (the board and the page)."""
    a, b = day_bounds(day, center_tz())
    return list(
        FreedSlot.objects.filter(start__gte=a, start__lt=b)
        .select_related("chair")
        .prefetch_related(
            Prefetch(
                "offers",
                queryset=Offer.objects.select_related("patient").order_by("rank", "pk"),
            )
        )
        .order_by("start", "pk")
    )


def open_freed(*, limit: int = 50) -> list[FreedSlot]:
    """Freed chair time still open, soonest first, with its offers."""
    return list(
        FreedSlot.objects.filter(status=FreedStatus.OPEN, start__gt=timezone.now())
        .select_related("chair")
        .prefetch_related(
            Prefetch(
                "offers",
                queryset=Offer.objects.select_related("patient").order_by("rank", "pk"),
            )
        )
        .order_by("start", "pk")[:limit]
    )


def live_offers_by_chair(day: dt.date) -> dict[int, list[Offer]]:
    """Open offers for freed time on a day, by chair (the board's "offered to J.D.")."""
    a, b = day_bounds(day, center_tz())
    out: dict[int, list[Offer]] = {}
    for offer in (
        Offer.objects.filter(status=OfferStatus.OFFERED, start__gte=a, start__lt=b)
        .select_related("patient", "freed")
        .order_by("start", "rank")
    ):
        out.setdefault(offer.chair_id, []).append(offer)
    return out
