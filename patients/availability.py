"""When a patient can come: the front desk's edits (audited) and the engine's view of them.

Writes: set_availability replaces a patient's windows, preferred start and short-notice flag
in one transaction and writes one audit row with before and after.

Reads: availability_for (one patient) and availability_map (many, two queries whatever their
number) return the engine's PatientAvailability, so the slot search, the planner and
fit-me-in all judge a start by the same rules (scheduling/engine/availability.py).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from django.db import transaction

from patients.models import AvailabilityWindow, Patient
from scheduling.engine import availability as eav
from scheduling.exceptions import SchedulingError

MAX_WINDOWS = 12


def _time(minute: int, *, end: bool) -> dt.time | None:
    """A window edge as a TimeField value; midnight at either end is stored as empty."""
    if (minute == 0 and not end) or (minute >= eav.DAY_MINUTES and end):
        return None
    return dt.time(minute // 60, minute % 60)


def _minute(t: dt.time | None, default: int) -> int:
    return default if t is None else t.hour * 60 + t.minute


def engine_window(row: AvailabilityWindow) -> eav.AvailabilityWindow:
    return eav.AvailabilityWindow(
        weekdays=frozenset(int(d) for d in row.weekdays or ()),
        start_minute=_minute(row.start_time, 0),
        end_minute=_minute(row.end_time, eav.DAY_MINUTES),
        kind=row.kind,
        strength=row.strength,
    )


def windows_json(patient: Patient) -> list[dict]:
    """The patient's windows in their JSON form (API, forms, audit)."""
    return [eav.window_to_json(engine_window(w)) for w in patient.availability_windows.all()]


def _state(patient: Patient) -> dict:
    return {
        "patient_id": patient.pk,
        "windows": windows_json(patient),
        "preferred_minute": patient.preferred_minute,
        "short_notice_ok": patient.short_notice_ok,
    }


def parse_windows(windows: Iterable) -> list[eav.AvailabilityWindow]:
    """Windows from their JSON form; SchedulingError on `windows` naming the bad one."""
    windows = list(windows or ())
    if len(windows) > MAX_WINDOWS:
        raise SchedulingError(f"At most {MAX_WINDOWS} windows per patient.", field="windows")
    parsed = []
    for i, data in enumerate(windows, start=1):
        try:
            parsed.append(eav.window_from_json(data))
        except (ValueError, TypeError) as exc:
            raise SchedulingError(f"Window {i}: {exc}.", field="windows") from exc
    return parsed


@transaction.atomic
def set_availability(
    *,
    patient: Patient,
    windows: Iterable,
    preferred_minute: int | None,
    short_notice_ok: bool,
    by=None,
) -> Patient:
    """Replace when `patient` can come: windows (JSON form, see engine/availability.py), the
    preferred start in minutes after local midnight (or None) and the short-notice flag.

    One transaction, the patient row locked first (the order every write path uses), one audit
    row with before/after. Raises SchedulingError (400) for a window that could never be
    honoured as written.
    """
    from scheduling.models import AuditEvent

    parsed = parse_windows(windows)
    if preferred_minute is not None and not 0 <= int(preferred_minute) < eav.DAY_MINUTES:
        raise SchedulingError("The preferred time is between 00:00 and 23:59.", field="preferred")
    given = patient
    patient = Patient.objects.select_for_update().get(pk=patient.pk)
    before = _state(patient)
    patient.availability_windows.all().delete()
    AvailabilityWindow.objects.bulk_create(
        AvailabilityWindow(
            patient=patient,
            weekdays=sorted(w.weekdays),
            start_time=_time(w.start_minute, end=False),
            end_time=_time(w.end_minute, end=True),
            kind=w.kind,
            strength=w.strength,
            position=i,
        )
        for i, w in enumerate(parsed)
    )
    patient.preferred_minute = None if preferred_minute is None else int(preferred_minute)
    patient.short_notice_ok = bool(short_notice_ok)
    patient.save(update_fields=["preferred_minute", "short_notice_ok"])
    # The caller's instance shows the new values too (it is what the page renders next).
    given.preferred_minute, given.short_notice_ok = (
        patient.preferred_minute,
        patient.short_notice_ok,
    )
    after = _state(patient)
    if after != before:
        AuditEvent.objects.create(
            action="availability_changed",
            actor=by if getattr(by, "is_authenticated", False) else None,
            actor_label="" if by else "system",
            before=before,
            after=after,
        )
    return patient


def _build(patient: Patient, rows) -> eav.PatientAvailability:
    return eav.PatientAvailability(
        tuple(engine_window(r) for r in rows),
        preferred_minute=patient.preferred_minute,
        short_notice_ok=patient.short_notice_ok,
    )


def availability_for(patient: Patient) -> eav.PatientAvailability:
    """The engine's view of when one patient can come."""
    return _build(patient, AvailabilityWindow.objects.filter(patient=patient))


def availability_map(patient_ids: Iterable[int]) -> dict[int, eav.PatientAvailability]:
    """{patient id: PatientAvailability} for many patients in two queries (the planner)."""
    ids = sorted(set(patient_ids))
    rows: dict[int, list] = {i: [] for i in ids}
    for w in AvailabilityWindow.objects.filter(patient_id__in=ids):
        rows[w.patient_id].append(w)
    patients = Patient.objects.filter(pk__in=ids).only("pk", "preferred_minute", "short_notice_ok")
    return {p.pk: _build(p, rows[p.pk]) for p in patients}


def history(patient: Patient, limit: int = 10):
    """The last availability edits of a patient (who, when), newest first."""
    from scheduling.models import AuditEvent

    return (
        AuditEvent.objects.filter(action="availability_changed", after__patient_id=patient.pk)
        .select_related("actor")
        .order_by("-at", "-pk")[:limit]
    )
