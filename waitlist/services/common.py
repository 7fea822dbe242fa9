"""What the waitlist services share: the audit row and the acting user."""

from __future__ import annotations

from waitlist.models import Offer, WaitlistEntry, WaitlistEvent


def actor(by):
    return by if getattr(by, "is_authenticated", False) else None


def entry_snapshot(entry: WaitlistEntry) -> dict:
    return {
        "status": entry.status,
        "protocol": entry.protocol.code if entry.protocol_id else None,
        "dose_number": entry.dose_number,
        "earliest": entry.earliest.isoformat() if entry.earliest else None,
        "latest": entry.latest.isoformat() if entry.latest else None,
        "windows": entry.windows,
        "min_notice_hours": entry.min_notice_hours,
        "channel": entry.channel,
        "urgent": entry.urgent,
    }


def offer_snapshot(offer: Offer) -> dict:
    return {
        "status": offer.status,
        "start": offer.start.isoformat(),
        "chair_id": offer.chair_id,
        "nurse_id": offer.nurse_id,
        "hold_until": offer.hold_until.isoformat(),
        "session_id": offer.session_id,
        "booked_session_id": offer.booked_session_id,
    }


def audit(action, *, entry=None, offer=None, by=None, actor_label="", before=None, after=None):
    WaitlistEvent.objects.create(
        entry=entry if entry is not None else (offer.entry if offer is not None else None),
        offer=offer,
        action=action,
        actor=actor(by),
        actor_label=actor_label or ("" if actor(by) else "system"),
        before=before,
        after=after,
    )
