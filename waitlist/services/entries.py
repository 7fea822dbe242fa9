"""Putting patients on the waitlist, editing and ending their entries."""

from __future__ import annotations

import datetime as dt

from django.db import IntegrityError, transaction
from django.utils import timezone

from patients.models import Patient
from scheduling import engine
from scheduling.engine.availability import availability_from_json
from scheduling.exceptions import BookingConflict, SchedulingError
from scheduling.models import Protocol
from scheduling.selectors import dose_history
from scheduling.world import center_tz, dose_rule_specs
from waitlist.models import EntryStatus, OfferChannel, WaitlistEntry
from waitlist.services.common import audit, entry_snapshot

EDITABLE = ("earliest", "latest", "windows", "min_notice_hours", "channel", "urgent", "notes")
MAX_WINDOWS = 14


def _validate(
    *, patient, protocol, dose_number, earliest, latest, windows, min_notice_hours, channel, notes
):
    if dose_number < 1:
        raise SchedulingError("A dose number starts at 1.", field="dose_number")
    try:
        engine.rule_for(dose_rule_specs(protocol), dose_number)
    except ValueError as exc:
        raise SchedulingError(str(exc), field="dose_number") from exc
    if latest < earliest:
        raise SchedulingError("The last day is before the first.", field="latest")
    today = timezone.now().astimezone(center_tz()).date()
    if latest < today:
        raise SchedulingError("That window has already passed.", field="latest")
    if (latest - earliest).days > 366:
        raise SchedulingError("A waitlist window is at most a year.", field="latest")
    if not isinstance(windows, list) or len(windows) > MAX_WINDOWS:
        raise SchedulingError(
            f"Give availability as a list of at most {MAX_WINDOWS} windows.", field="windows"
        )
    try:
        availability_from_json(windows)
    except (ValueError, TypeError) as exc:
        raise SchedulingError(str(exc), field="windows") from exc
    if not 0 <= min_notice_hours <= 24 * 30:
        raise SchedulingError("Notice is between 0 and 720 hours.", field="min_notice_hours")
    if channel not in OfferChannel.values:
        raise SchedulingError(
            f"Channel is one of {', '.join(OfferChannel.values)}.", field="channel"
        )
    if channel == OfferChannel.SMS and not patient.can_text:
        raise SchedulingError(
            "This patient cannot be texted (no mobile, no consent or STOP).", field="channel"
        )
    if channel == OfferChannel.EMAIL and not patient.can_email:
        raise SchedulingError("This patient cannot be emailed.", field="channel")
    if len(notes or "") > 300:
        raise SchedulingError("Notes are at most 300 characters.", field="notes")


def _due_date(patient, protocol, dose_number) -> dt.date | None:
    """When the dose is due from the doses before it (a booked dose being moved earlier
    counts as not yet given). None for on-demand courses or an unanchored first dose."""
    if protocol.courses_as_needed:
        return None
    history = [
        g for g in dose_history(patient=patient, protocol=protocol) if g.dose_number < dose_number
    ]
    try:
        due = engine.next_due(dose_rule_specs(protocol), history)
    except ValueError:
        return None
    if due is None or due.dose_number != dose_number:
        return None
    return due.due_date


@transaction.atomic
def add_entry(
    *,
    patient: Patient,
    protocol: Protocol,
    dose_number: int,
    earliest: dt.date,
    latest: dt.date,
    windows: list | None = None,
    min_notice_hours: int = 24,
    channel: str = OfferChannel.SMS,
    urgent: bool = False,
    notes: str = "",
    by=None,
) -> WaitlistEntry:
    """Put a patient on the waitlist for an earlier slot of one dose. One active entry per
    patient and protocol (a second is a 409 naming the first). Without `windows` the
    patient's stored availability windows are copied (an entry may then narrow them)."""
    if windows is None:
        from patients.availability import windows_json

        windows = windows_json(patient)
    _validate(
        patient=patient,
        protocol=protocol,
        dose_number=dose_number,
        earliest=earliest,
        latest=latest,
        windows=windows,
        min_notice_hours=min_notice_hours,
        channel=channel,
        notes=notes,
    )
    Patient.objects.select_for_update().filter(pk=patient.pk).exists()
    existing = WaitlistEntry.objects.filter(
        patient=patient, protocol=protocol, status=EntryStatus.ACTIVE
    ).first()
    if existing is not None:
        raise BookingConflict(
            "This patient is already on the waitlist for this treatment.",
            conflicts=[
                {
                    "rule": "waitlist",
                    "resource": f"waitlist:{existing.pk}",
                    "detail": "active entry",
                }
            ],
        )
    entry = WaitlistEntry(
        patient=patient,
        protocol=protocol,
        dose_number=dose_number,
        earliest=earliest,
        latest=latest,
        windows=windows,
        min_notice_hours=min_notice_hours,
        channel=channel,
        urgent=urgent,
        notes=(notes or "").strip(),
        due_date=_due_date(patient, protocol, dose_number),
        created_by=by if getattr(by, "is_authenticated", False) else None,
    )
    try:
        with transaction.atomic():
            entry.save()
    except IntegrityError as exc:
        raise BookingConflict(
            "This patient is already on the waitlist for this treatment."
        ) from exc
    audit("entry_added", entry=entry, by=by, after=entry_snapshot(entry))
    return entry


@transaction.atomic
def update_entry(*, entry: WaitlistEntry, by=None, **changes) -> WaitlistEntry:
    """Edit an active entry's window, availability, notice, channel, urgency or notes."""
    unknown = set(changes) - set(EDITABLE)
    if unknown:
        raise SchedulingError(f"{sorted(unknown)[0]} cannot be changed.", field=sorted(unknown)[0])
    Patient.objects.select_for_update().filter(pk=entry.patient_id).exists()
    entry = (
        WaitlistEntry.objects.select_for_update(of=("self",))
        .select_related("patient", "protocol")
        .get(pk=entry.pk)
    )
    if entry.status != EntryStatus.ACTIVE:
        raise BookingConflict(
            f"This entry has ended ({entry.get_status_display().lower()}).",
            conflicts=[
                {"rule": "state", "resource": f"waitlist:{entry.pk}", "detail": entry.status}
            ],
        )
    before = entry_snapshot(entry)
    for name, value in changes.items():
        setattr(entry, name, value)
    _validate(
        patient=entry.patient,
        protocol=entry.protocol,
        dose_number=entry.dose_number,
        earliest=entry.earliest,
        latest=entry.latest,
        windows=entry.windows,
        min_notice_hours=entry.min_notice_hours,
        channel=entry.channel,
        notes=entry.notes,
    )
    entry.save()
    audit("entry_changed", entry=entry, by=by, before=before, after=entry_snapshot(entry))
    return entry


def end_entry(entry: WaitlistEntry, status: str, reason: str, *, by=None, actor_label=""):
    """End an entry (caller holds the transaction and the patient lock)."""
    before = entry_snapshot(entry)
    entry.status = status
    entry.ended_at = timezone.now()
    entry.end_reason = reason[:200]
    entry.save(update_fields=["status", "ended_at", "end_reason", "updated_at"])
    audit(
        f"entry_{status}",
        entry=entry,
        by=by,
        actor_label=actor_label,
        before=before,
        after=entry_snapshot(entry),
    )
    return entry


@transaction.atomic
def remove_entry(*, entry: WaitlistEntry, by=None, reason: str = "removed by staff"):
    """Take a patient off the waitlist; their open offers are withdrawn."""
    from waitlist.services.offers import withdraw_entry_offers

    Patient.objects.select_for_update().filter(pk=entry.patient_id).exists()
    entry = WaitlistEntry.objects.select_for_update(of=("self",)).get(pk=entry.pk)
    if entry.status != EntryStatus.ACTIVE:
        return entry
    withdraw_entry_offers(entry, reason="entry removed", by=by)
    return end_entry(entry, EntryStatus.REMOVED, reason or "removed by staff", by=by)


def expire_entries(*, today: dt.date | None = None) -> int:
    """Entries whose last day has passed end as expired (the dispatcher runs this)."""
    today = today or timezone.now().astimezone(center_tz()).date()
    n = 0
    for entry in WaitlistEntry.objects.filter(status=EntryStatus.ACTIVE, latest__lt=today):
        with transaction.atomic():
            Patient.objects.select_for_update().filter(pk=entry.patient_id).exists()
            locked = WaitlistEntry.objects.select_for_update().get(pk=entry.pk)
            if locked.status == EntryStatus.ACTIVE:
                end_entry(locked, EntryStatus.EXPIRED, "the window passed")
                n += 1
    return n
