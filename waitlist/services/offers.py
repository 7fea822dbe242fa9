"""Offers of freed chair time: make them in priority order, accept (first wins), decline,
expire, withdraw, fill by phone."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from django.db import IntegrityError, transaction
from django.utils import timezone

from patients.models import Patient
from scheduling import services
from scheduling.exceptions import BookingConflict, SchedulingError
from scheduling.models import (
    ACTIVE_STATUSES,
    CenterSettings,
    InfusionSession,
    center_settings_scope,
)
from scheduling.notifications.quiet import is_quiet, next_send_time
from scheduling.world import center_tz
from waitlist.freed import record_remainders
from waitlist.models import (
    EntryStatus,
    FreedSlot,
    FreedStatus,
    MessageKind,
    Offer,
    OfferChannel,
    OfferMessage,
    OfferStatus,
    WaitlistEntry,
    WaitlistSettings,
)
from waitlist.services.common import audit, offer_snapshot
from waitlist.services.entries import end_entry
from waitlist.services.matching import (
    MOVABLE,
    SlotFacts,
    current_booking,
    fit_entry,
    world_for,
)

# Offers for time closer than this are not held longer than up to it.
HOLD_MARGIN = dt.timedelta(minutes=30)


class OfferUnavailable(BookingConflict):
    """The offer can no longer be accepted: taken by another patient, expired, withdrawn,
    declined (HTTP 409 with `code` naming which)."""

    def __init__(self, message: str, *, code: str, offer_id: int):
        super().__init__(
            message, conflicts=[{"rule": code, "resource": f"offer:{offer_id}", "detail": code}]
        )
        self.code = code


def patient_tz(patient: Patient, center: CenterSettings) -> ZoneInfo:
    try:
        return ZoneInfo(patient.time_zone)
    except Exception:
        return ZoneInfo(center.time_zone)


def patient_is_quiet(patient: Patient, now: dt.datetime, center: CenterSettings) -> bool:
    return is_quiet(
        now, patient_tz(patient, center), center.quiet_hours_start, center.quiet_hours_end
    )


def hold_until(
    now: dt.datetime, minutes: int, tz: ZoneInfo, center: CenterSettings, start: dt.datetime
) -> dt.datetime:
    """`minutes` of business time from now: the hold clock stops in quiet hours (an offer made
    at 20:50 with a 30-minute hold runs to 09:20 the next morning), and never runs closer to
    the visit than HOLD_MARGIN."""
    end = now + dt.timedelta(minutes=minutes)
    qs, qe = center.quiet_hours_start, center.quiet_hours_end
    if qs != qe:
        local = now.astimezone(tz)
        quiet_from = dt.datetime.combine(local.date(), qs, tzinfo=tz)
        if quiet_from <= now:
            quiet_from += dt.timedelta(days=1)
        if quiet_from < end:
            remaining = end - quiet_from
            end = next_send_time(quiet_from, tz, qs, qe) + remaining
    return min(end, start - HOLD_MARGIN)


def _channel(entry: WaitlistEntry) -> str:
    patient = entry.patient
    if entry.channel == OfferChannel.SMS and patient.can_text:
        return OfferChannel.SMS
    if entry.channel in (OfferChannel.SMS, OfferChannel.EMAIL) and patient.can_email:
        return OfferChannel.EMAIL
    return OfferChannel.CALL


def _slot_taken_elsewhere(freed: FreedSlot) -> InfusionSession | None:
    """An active session on the freed chair that covers its start: the desk filled it."""
    return (
        InfusionSession.objects.filter(
            chair_id=freed.chair_id,
            status__in=ACTIVE_STATUSES,
            start__lte=freed.start,
            chair_release_at__gt=freed.start,
        )
        .exclude(pk=freed.source_session_id)
        .first()
    )


def candidates(freed: FreedSlot, *, today: dt.date) -> list[WaitlistEntry]:
    """Active entries whose days include the slot's day and who were not offered it yet, in
    priority order (WaitlistEntry.priority_key)."""
    day = freed.start.astimezone(center_tz()).date()
    entries = list(
        WaitlistEntry.objects.filter(status=EntryStatus.ACTIVE, earliest__lte=day, latest__gte=day)
        .exclude(offers__freed=freed)
        .exclude(patient_id=freed.source_patient_id or 0)
        .select_related("patient", "protocol")
        .prefetch_related("protocol__dose_rules")  # dose_rule_specs for each, no query
    )
    entries.sort(key=lambda e: e.priority_key(today))
    return entries


@center_settings_scope
def make_offers(freed: FreedSlot, *, now: dt.datetime | None = None) -> list[Offer]:
    """Offer freed chair time to the next waitlisted patients who fit, in priority order, up to
    `offers_at_once` live offers. Nothing is offered while the next patient is in quiet hours
    (the slot waits for the morning). Returns the offers made (committed)."""
    now = now or timezone.now()
    conf = WaitlistSettings.load()
    center = CenterSettings.load()
    tz = center_tz()
    made: list[Offer] = []
    with transaction.atomic():
        freed = (
            FreedSlot.objects.select_for_update(skip_locked=True, of=("self",))
            .filter(pk=freed.pk, status=FreedStatus.OPEN)
            .first()
        )
        if freed is None:
            return made  # an acceptance holds it, or it is no longer open
        min_lead = dt.timedelta(minutes=conf.min_lead_minutes)
        if freed.start < now + min_lead:
            close_freed(freed, FreedStatus.CLOSED, "too close to offer", locked=True)
            return made
        other = _slot_taken_elsewhere(freed)
        if other is not None:
            close_freed(freed, FreedStatus.FILLED_ELSEWHERE, "booked another way", locked=True)
            return made
        offers = list(Offer.objects.filter(freed=freed).values_list("status", flat=True))
        live = sum(s == OfferStatus.OFFERED for s in offers)
        if len(offers) >= conf.max_offers_per_slot:
            if not live:
                close_freed(freed, FreedStatus.CLOSED, "offer limit reached", locked=True)
            return made
        wanted = min(conf.offers_at_once - live, conf.max_offers_per_slot - len(offers))
        if wanted <= 0 or not conf.enabled:
            return made
        freed.last_matched_at = now
        freed.save(update_fields=["last_matched_at"])
        entries = candidates(freed, today=now.astimezone(tz).date())
        facts = SlotFacts(freed, entries)
        rank = len(offers)
        for entry in entries:
            if patient_is_quiet(entry.patient, now, center):
                # Priority order holds: the slot waits until this patient's morning, and is
                # looked at again on every cycle until then (a quick check at night).
                FreedSlot.objects.filter(pk=freed.pk).update(last_matched_at=None)
                break
            fit = fit_entry(entry, freed, now=now, min_lead=min_lead, facts=facts)
            if fit is None:
                continue
            rank += 1
            channel = _channel(entry)
            offer = Offer.objects.create(
                freed=freed,
                entry=entry,
                patient_id=entry.patient_id,
                session=fit.session,
                start=fit.start,
                chair_id=freed.chair_id,
                nurse_id=fit.placement.nurse_id,
                channel=channel,
                hold_until=hold_until(
                    now, conf.hold_minutes, patient_tz(entry.patient, center), center, fit.start
                ),
                rank=rank,
                override_reason=fit.override_reason,
            )
            if channel != OfferChannel.CALL:
                OfferMessage.objects.create(offer=offer, kind=MessageKind.OFFER, channel=channel)
            audit("offer_made", offer=offer, after=offer_snapshot(offer))
            made.append(offer)
            if len(made) >= wanted:
                break
    return made


def close_freed(freed: FreedSlot, status: str, reason: str, *, by=None, locked=False) -> int:
    """End a freed slot (filled another way, passed, nobody left); live offers are withdrawn.
    Returns how many offers were withdrawn. Caller holds the transaction."""
    if not locked:
        freed = FreedSlot.objects.select_for_update(of=("self",)).get(pk=freed.pk)
    freed.status = status
    freed.closed_reason = reason[:200]
    freed.save(update_fields=["status", "closed_reason"])
    n = 0
    for offer in (
        Offer.objects.select_for_update(of=("self",))
        .filter(freed=freed, status=OfferStatus.OFFERED)
        .order_by("pk")
    ):
        _set_status(offer, OfferStatus.WITHDRAWN, reason, by=by)
        n += 1
    return n


def _set_status(offer: Offer, status: str, note: str, *, by=None, via="", actor_label=""):
    before = offer_snapshot(offer)
    offer.status = status
    offer.outcome_note = note[:200]
    if via:
        offer.responded_via = via[:40]
        offer.responded_at = timezone.now()
    offer.save(update_fields=["status", "outcome_note", "responded_via", "responded_at"])
    if status != OfferStatus.OFFERED:
        # The slot is looked at again on the next cycle (the next patient in line).
        FreedSlot.objects.filter(pk=offer.freed_id).update(last_matched_at=None)
    audit(
        f"offer_{status}",
        offer=offer,
        by=by,
        actor_label=actor_label,
        before=before,
        after=offer_snapshot(offer),
    )


@transaction.atomic
def withdraw_slot(*, freed: FreedSlot, by=None, reason: str = "filled by phone") -> int:
    """The front desk filled the freed time by phone: withdraw every open offer for it."""
    return close_freed(freed, FreedStatus.FILLED_ELSEWHERE, reason, by=by)


def withdraw_entry_offers(entry: WaitlistEntry, *, reason: str, by=None) -> int:
    """Withdraw an entry's open offers (caller holds the transaction and the patient lock)."""
    n = 0
    for offer in Offer.objects.filter(entry=entry, status=OfferStatus.OFFERED).order_by("pk"):
        FreedSlot.objects.select_for_update(of=("self",)).filter(pk=offer.freed_id).exists()
        offer = Offer.objects.select_for_update(of=("self",)).get(pk=offer.pk)
        if offer.status == OfferStatus.OFFERED:
            _set_status(offer, OfferStatus.WITHDRAWN, reason, by=by)
            n += 1
    return n


# --- answering an offer ------------------------------------------------------------------------


def _lock_for_answer(offer_id: int):
    """Lock order: patient → freed time → its offers (by id). Then the booking services lock
    sessions → chairs → nurses."""
    head = Offer.objects.filter(pk=offer_id).values_list("patient_id", "freed_id").first()
    if head is None:
        raise SchedulingError("No such offer.", field="offer")
    patient_id, freed_id = head
    Patient.objects.select_for_update().filter(pk=patient_id).exists()
    freed = FreedSlot.objects.select_for_update(of=("self",)).get(pk=freed_id)
    offers = {
        o.pk: o
        for o in Offer.objects.select_for_update(of=("self",))
        .filter(freed_id=freed_id)
        .order_by("pk")
    }
    return freed, offers, offers[offer_id]


_GONE = {
    OfferStatus.TAKEN: "Sorry, another patient took this time first.",
    OfferStatus.EXPIRED: "This offer has expired.",
    OfferStatus.WITHDRAWN: "This offer was withdrawn.",
    OfferStatus.DECLINED: "This offer was declined.",
}


def accept_offer(*, offer: Offer, by=None, via: str = "link", actor_label: str = "") -> Offer:
    """Accept an offer: the first acceptance of a freed slot wins, atomically.

    Under the locks (patient → freed time → its offers → the booking services' sessions →
    chairs → nurses) the offer must still be `offered` and inside its hold. The patient's
    later booking of that dose moves to the offered time (its series follows by the same number
    of days) through the booking services, which re-check every rule, re-time the reminders and
    tell the patient; without one a new booking is made. The other open offers for the slot
    become `taken` (each patient is told; their entries stay on the list) and the entry ends as
    booked. Raises OfferUnavailable (409, code taken|expired|withdrawn|declined) when it is
    gone; if the slot no longer fits the patient the offer is withdrawn and that is raised."""
    result, error = _accept(offer.pk, by=by, via=via, actor_label=actor_label)
    if error is not None:
        raise error
    _kick_dispatcher()
    return result


@center_settings_scope
@transaction.atomic
def _accept(offer_id: int, *, by, via, actor_label):
    now = timezone.now()
    freed, offers, offer = _lock_for_answer(offer_id)
    if offer.status == OfferStatus.ACCEPTED:
        return offer, None  # a second click or a repeated YES
    if offer.status != OfferStatus.OFFERED:
        return offer, OfferUnavailable(_GONE[offer.status], code=offer.status, offer_id=offer.pk)
    if offer.hold_until <= now:
        return offer, OfferUnavailable(
            _GONE[OfferStatus.EXPIRED], code="expired", offer_id=offer.pk
        )
    if freed.status != FreedStatus.OPEN:
        return offer, OfferUnavailable(_GONE[OfferStatus.TAKEN], code="taken", offer_id=offer.pk)
    entry = WaitlistEntry.objects.select_related("patient", "protocol").get(pk=offer.entry_id)
    if entry.status != EntryStatus.ACTIVE:
        # Booked from another offer a moment ago (a patient can hold offers for two slots):
        # taking this one too would move that booking again and free the time just filled.
        _set_status(offer, OfferStatus.WITHDRAWN, f"entry {entry.status}", by=by, via=via)
        return offer, OfferUnavailable(
            "You already have an earlier visit from our waitlist.",
            code="withdrawn",
            offer_id=offer.pk,
        )
    try:
        with transaction.atomic():
            booked = _book(offer, entry, by=by, label=actor_label or f"waitlist offer ({via})")
    except (BookingConflict, SchedulingError) as exc:
        _set_status(offer, OfferStatus.WITHDRAWN, f"no longer fits: {exc}", by=by, via=via)
        return offer, OfferUnavailable(
            "This time is no longer available for you. You stay on our waitlist.",
            code="withdrawn",
            offer_id=offer.pk,
        )
    offer.booked_session = booked
    offer.save(update_fields=["booked_session"])
    try:
        with transaction.atomic():
            _set_status(
                offer, OfferStatus.ACCEPTED, "booked", by=by, via=via, actor_label=actor_label
            )
    except IntegrityError:  # the one-winner constraint: cannot happen under the freed lock
        raise
    for other in offers.values():
        if other.pk != offer.pk and other.status == OfferStatus.OFFERED:
            _set_status(other, OfferStatus.TAKEN, "another patient accepted first")
            if other.channel != OfferChannel.CALL:
                OfferMessage.objects.create(
                    offer=other, kind=MessageKind.TAKEN, channel=other.channel
                )
    freed.status = FreedStatus.FILLED
    freed.filled_session = booked
    freed.filled_at = now
    freed.save(update_fields=["status", "filled_session", "filled_at"])
    record_remainders(freed=freed, booked=booked)
    end_entry(
        entry,
        EntryStatus.BOOKED,
        f"booked {booked.start:%Y-%m-%d %H:%M} from the waitlist",
        by=by,
        actor_label=actor_label,
    )
    return offer, None


def _book(offer: Offer, entry: WaitlistEntry, *, by, label):
    """Move the patient's later booking (and its series) or book anew, through the services."""
    session = None
    if offer.session_id:
        session = InfusionSession.objects.filter(pk=offer.session_id, status__in=MOVABLE).first()
    if session is None:
        session = current_booking(entry)  # booked since the offer was made
    if session is None:
        return services.book_session(
            patient=entry.patient,
            protocol=entry.protocol,
            dose_number=entry.dose_number,
            start=offer.start,
            chair=offer.chair,
            by=by,
            override_reason=offer.override_reason,
        )
    if session.start <= offer.start:
        raise SchedulingError("The patient is already booked at or before this time.")
    # The later doses (dose 2 of an induction) move with it, each by the same number of days
    # at its own clock time, in the same transaction (services.reschedule's move_series).
    return services.reschedule(
        session=session,
        start=offer.start,
        chair=offer.chair,
        by=by,
        override_reason=offer.override_reason,
        move_series=True,
    )


def decline_offer(
    *, offer: Offer, for_good: bool = False, by=None, via: str = "link", actor_label: str = ""
) -> Offer:
    """The patient says no: the slot goes to the next patient on the next cycle; the entry
    stays unless they decline for good."""
    result, error = _decline(offer.pk, for_good=for_good, by=by, via=via, actor_label=actor_label)
    if error is not None:
        raise error
    _kick_dispatcher()
    return result


@transaction.atomic
def _decline(offer_id, *, for_good, by, via, actor_label):
    _freed, _offers, offer = _lock_for_answer(offer_id)
    if offer.status == OfferStatus.DECLINED:
        return offer, None
    if offer.status != OfferStatus.OFFERED:
        return offer, OfferUnavailable(
            _GONE.get(offer.status, "This offer is closed."), code=offer.status, offer_id=offer.pk
        )
    _set_status(
        offer,
        OfferStatus.DECLINED,
        "declined for good" if for_good else "declined",
        by=by,
        via=via,
        actor_label=actor_label,
    )
    if for_good:
        entry = WaitlistEntry.objects.select_for_update(of=("self",)).get(pk=offer.entry_id)
        if entry.status == EntryStatus.ACTIVE:
            end_entry(
                entry, EntryStatus.DECLINED, "declined for good", by=by, actor_label=actor_label
            )
    return offer, None


def expire_holds(*, now: dt.datetime | None = None) -> int:
    """Offers whose hold ran out become `expired`; the slot goes to the next patient."""
    now = now or timezone.now()
    n = 0
    for offer_id in Offer.objects.filter(
        status=OfferStatus.OFFERED, hold_until__lte=now
    ).values_list("pk", flat=True):
        with transaction.atomic():
            _freed, _offers, offer = _lock_for_answer(offer_id)
            if offer.status == OfferStatus.OFFERED and offer.hold_until <= now:
                _set_status(offer, OfferStatus.EXPIRED, "no answer within the hold")
                n += 1
    return n


def withdraw_ended_entry_offers() -> int:
    """Live offers whose entry ended (booked from another offer, declined for good, removed)
    are withdrawn, so their slot goes to the next patient now instead of after the hold."""
    n = 0
    for offer_id in (
        Offer.objects.filter(status=OfferStatus.OFFERED)
        .exclude(entry__status=EntryStatus.ACTIVE)
        .values_list("pk", flat=True)
    ):
        with transaction.atomic():
            _freed, _offers, offer = _lock_for_answer(offer_id)
            if offer.status == OfferStatus.OFFERED:
                _set_status(offer, OfferStatus.WITHDRAWN, "no longer on the waitlist")
                n += 1
    return n


@transaction.atomic
def fill_by_phone(*, freed: FreedSlot, entry: WaitlistEntry, by=None) -> Offer:
    """The front desk reached a waitlisted patient by phone: withdraw the other offers and book
    that patient into the freed time (the same checks as an automatic offer)."""
    conf = WaitlistSettings.load()
    now = timezone.now()
    Patient.objects.select_for_update().filter(pk=entry.patient_id).exists()
    freed = FreedSlot.objects.select_for_update(of=("self",)).get(pk=freed.pk)
    if freed.status != FreedStatus.OPEN:
        raise OfferUnavailable("This time is no longer open.", code="taken", offer_id=0)
    offer = Offer.objects.filter(freed=freed, entry=entry).first()
    if offer is None or offer.status != OfferStatus.OFFERED:
        entry = WaitlistEntry.objects.select_related("patient", "protocol").get(pk=entry.pk)
        if entry.status != EntryStatus.ACTIVE:
            raise SchedulingError("This patient is no longer on the waitlist.", field="entry")
        fit = fit_entry(entry, freed, now=now, min_lead=dt.timedelta(0), world=world_for(freed))
        if fit is None:
            raise SchedulingError(
                "This patient does not fit that time (hours, chair, nurse, spacing or their "
                "availability).",
                field="entry",
            )
        if offer is not None:
            raise SchedulingError("This patient already answered an offer for that time.")
        offer = Offer.objects.create(
            freed=freed,
            entry=entry,
            patient_id=entry.patient_id,
            session=fit.session,
            start=fit.start,
            chair_id=freed.chair_id,
            nurse_id=fit.placement.nurse_id,
            channel=OfferChannel.CALL,
            hold_until=max(now + dt.timedelta(minutes=conf.hold_minutes), now),
            rank=0,
            override_reason=fit.override_reason,
        )
        audit(
            "offer_made",
            offer=offer,
            by=by,
            actor_label="front desk phone",
            after=offer_snapshot(offer),
        )
    result, error = _accept(offer.pk, by=by, via="staff", actor_label="front desk phone")
    if error is not None:
        raise error
    return result


def _kick_dispatcher() -> None:
    """After an answer commits, run a dispatcher cycle now (the next patient need not wait a
    minute); if the broker is down, beat's next cycle does it."""

    def go():
        try:
            from waitlist.tasks import dispatch_waitlist

            dispatch_waitlist.delay()
        except Exception:
            pass

    transaction.on_commit(go)
