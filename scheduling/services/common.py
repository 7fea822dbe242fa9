"""Helpers every write path shares: input checks, dose and spacing rules, locks, placement
with a re-check under the locks, saving with the exclusion constraints mapped to 409s, audit."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from django.db import IntegrityError, transaction
from django.utils import timezone

from patients.models import Patient, PatientProtocol
from scheduling import engine
from scheduling.exceptions import (
    BookingConflict,
    OutsideHours,
    SchedulingError,
    SpacingViolation,
)
from scheduling.models import (
    AuditEvent,
    Chair,
    InfusionSession,
    Nurse,
    Protocol,
)
from scheduling.selectors import dose_history
from scheduling.world import center_tz, load_world, max_doses

# Rules whose violation means "taken by someone else" (409) rather than "invalid request" (400).
CONFLICT_RULES = {"chair", "patient", "nurse_capacity", "stagger", "no_resource"}


# --- helpers ---------------------------------------------------------------------------------


def _require_aware(start: dt.datetime, field: str = "start") -> None:
    if not isinstance(start, dt.datetime):
        raise SchedulingError("Give a date and time.", field=field)
    if start.tzinfo is None or start.utcoffset() is None:
        raise SchedulingError(
            "Give the time with its UTC offset, e.g. 2026-12-01T09:00:00-05:00.", field=field
        )


def _require_future(start: dt.datetime, field: str = "start") -> None:
    if start < timezone.now():
        raise SchedulingError("That time is in the past.", field=field)


def snapshot(session: InfusionSession) -> dict:
    """What the audit trail keeps of a session, before and after a change."""
    return {
        "status": session.status,
        "dose_number": session.dose_number,
        "protocol": session.protocol.code if session.protocol_id else None,
        "patient_id": session.patient_id,
        "chair_id": session.chair_id,
        "nurse_id": session.nurse_id,
        "start": session.start.isoformat() if session.start else None,
        "chair_release_at": session.chair_release_at.isoformat()
        if session.chair_release_at
        else None,
        "override_reason": session.override_reason,
    }


def _audit(session, action, *, by=None, actor_label="", before=None, reason="", series=None):
    AuditEvent.objects.create(
        session=session,
        series=series or session.series,
        action=action,
        actor=by if getattr(by, "is_authenticated", False) else None,
        actor_label=actor_label or ("" if by else "system"),
        before=before,
        after=snapshot(session),
        reason=reason,
    )


def expected_next_dose(
    patient: Patient, protocol: Protocol, *, exclude_id: int | None = None
) -> int:
    """The dose number a new booking must carry: one after the last given or booked.
    On-demand courses (relapse steroids) start again at dose 1 every time."""
    if protocol.courses_as_needed:
        return 1
    history = dose_history(patient=patient, protocol=protocol, exclude_id=exclude_id)
    last = max((g.dose_number for g in history), default=0)
    if last == 0:
        treatment = PatientProtocol.objects.filter(
            patient=patient, protocol=protocol, active=True
        ).first()
        last = treatment.doses_before_center if treatment else 0
    return last + 1


def _check_dose(patient, protocol, specs, dose_number: int, *, exclude_id=None) -> None:
    expected = expected_next_dose(patient, protocol, exclude_id=exclude_id)
    if dose_number != expected:
        raise SchedulingError(
            f"{protocol.brand_name} dose {dose_number} is not next for this patient: "
            f"the next dose is {expected}.",
            field="dose_number",
        )
    cap = max_doses(protocol, specs)
    if cap is not None and dose_number > cap:
        raise SchedulingError(
            f"Dose {dose_number} would pass the lifetime limit of {protocol.lifetime_cap} "
            f"{protocol.dose_unit} ({cap} full doses).",
            field="dose_number",
        )
    try:
        engine.rule_for(specs, dose_number)
    except ValueError as exc:
        raise SchedulingError(str(exc), field="dose_number") from exc


def _check_spacing(
    patient, protocol, specs, dose_number, day, option, override_reason, *, exclude_id=None
):
    if protocol.courses_as_needed:
        return  # each course stands alone; the patient-overlap rule still applies
    history = dose_history(patient=patient, protocol=protocol, exclude_id=exclude_id)
    history = [g for g in history if g.dose_number < dose_number]
    check = engine.check_spacing(specs, history, dose_number, day, option)
    if check.violation is not None:
        raise SpacingViolation(check.violation.message)
    if check.needs_override and not override_reason.strip():
        raise SpacingViolation(
            f"{check.message} Book it anyway only with an override reason.", field="override_reason"
        )


def _plain(v: engine.Violation) -> str:
    """The coordinator's sentence for a clash; the engine's full detail stays in `conflicts`."""
    if v.rule == "patient":
        return "The patient already has a session at that time."
    if v.rule == "chair" and " with " in v.message:
        return (
            v.message.split(" with ")[0].replace(" (turnover included)", "")
            + " (cleaning included)."
        )
    if v.rule == "nurse_capacity":
        return v.message.split(";")[0] + "."
    if v.rule == "stagger":
        return (
            v.message.split(" already starts ")[0]
            + " is starting another patient within minutes of that time."
        )
    return v.message


def _raise_for(violations: Sequence[engine.Violation]) -> None:
    """Turn the engine's violations into the error a coordinator sees."""
    if not violations:
        return
    conflicts = [v for v in violations if v.rule in CONFLICT_RULES]
    if conflicts:
        raise BookingConflict(
            _plain(conflicts[0]),
            conflicts=[
                {"rule": v.rule, "resource": v.resource, "detail": v.message} for v in conflicts
            ],
        )
    first = violations[0]
    if first.rule == "hours":
        raise OutsideHours(first.message)
    field = {"nurse_shift": "nurse", "skill": "nurse", "chair_kind": "chair"}.get(
        first.rule, "start"
    )
    raise SchedulingError(first.message, field=field)


def _lock_patient(patient: Patient) -> None:
    """First lock of every write: the patient row. It serializes everything about one patient
    (which dose is next, spacing, overlaps) before anything is checked. Then chairs, then
    nurses, each by id: one global order, so two bookings never deadlock. SQLite ignores row
    locks; its IMMEDIATE transactions already serialize writers."""
    list(Patient.objects.select_for_update().filter(pk=patient.pk).values_list("pk"))


def _lock(chair_ids, nurse_ids) -> None:
    list(
        Chair.objects.select_for_update()
        .filter(pk__in=sorted(chair_ids))
        .order_by("pk")
        .values_list("pk")
    )
    list(
        Nurse.objects.select_for_update()
        .filter(pk__in=sorted(nurse_ids))
        .order_by("pk")
        .values_list("pk")
    )


def _leg_dates(first_start: dt.datetime, legs, tz) -> tuple[dt.date, dt.date]:
    first_day = first_start.astimezone(tz).date()
    return first_day, first_day + dt.timedelta(days=max(leg.day_offset for leg in legs))


def _place(*, patient, protocol, legs, first_start, chair, nurse, exclude_ids=()):
    """Find (or verify) chairs and nurses for a unit at first_start, then lock and re-check."""
    tz = center_tz()
    d0, d1 = _leg_dates(first_start, legs, tz)
    world = load_world(date_from=d0, date_to=d1, exclude_session_ids=tuple(exclude_ids))
    result = engine.place_unit(
        center=world.center,
        chairs=world.chairs,
        nurses=world.nurses,
        busy=world.busy,
        patient_id=patient.pk,
        legs=legs,
        first_start=first_start,
        required_skill=protocol.required_skill or None,
        required_chair_kind=protocol.required_chair_kind or None,
        chair_id=chair.pk if chair else None,
        nurse_id=nurse.pk if nurse else None,
    )
    _raise_for(result.violations)
    placements = result.placements
    chair_ids = {p.chair_id for p in placements}
    nurse_ids = {p.nurse_id for p in placements}
    _lock(chair_ids, nurse_ids)
    # Re-read under the locks: a booking that committed while we searched is now visible.
    fresh = load_world(
        date_from=d0,
        date_to=d1,
        exclude_session_ids=tuple(exclude_ids),
        chair_ids=tuple(chair_ids),
        nurse_ids=tuple(nurse_ids),
        patient_id=patient.pk,
        base=world,
    )
    _raise_for(
        engine.check_unit(
            center=fresh.center,
            chairs=fresh.chairs,
            nurses=fresh.nurses,
            busy=fresh.busy,
            patient_id=patient.pk,
            placements=placements,
            required_skill=protocol.required_skill or None,
            required_chair_kind=protocol.required_chair_kind or None,
        )
    )
    return placements


def _save(session: InfusionSession, *, create: bool) -> None:
    """Write a session; an exclusion-constraint hit (a race that slipped past) is a conflict."""
    try:
        with transaction.atomic():
            if create:
                session.save(force_insert=True)
            else:
                session.save()
    except IntegrityError as exc:
        text = str(exc)
        if "session_no_chair_overlap" in text:
            raise BookingConflict(
                f"Chair {session.chair} was just booked by someone else at that time.",
                conflicts=[
                    {
                        "rule": "chair",
                        "resource": f"chair:{session.chair_id}",
                        "detail": "overlapping active session",
                    }
                ],
            ) from exc
        if "session_no_patient_overlap" in text:
            raise BookingConflict(
                "The patient already has a session at that time.",
                conflicts=[
                    {
                        "rule": "patient",
                        "resource": f"patient:{session.patient_id}",
                        "detail": "overlapping active session",
                    }
                ],
            ) from exc
        raise


def _apply_timeline(session: InfusionSession, placement: engine.Placement) -> None:
    t = placement.timeline
    session.chair_id = placement.chair_id
    session.nurse_id = placement.nurse_id
    session.start = t.start
    session.premed_start = t.premed_start
    session.infusion_start = t.infusion_start
    session.infusion_end = t.infusion_end
    session.observation_end = t.observation_end
    session.chair_release_at = t.chair_release_at


def _enrol(patient: Patient, protocol: Protocol) -> None:
    """Booking a protocol puts the patient on it if nobody did yet (due worklist follows it)."""
    PatientProtocol.objects.get_or_create(
        patient=patient,
        protocol=protocol,
        active=True,
        defaults={"started_on": timezone.localdate()},
    )


def _resolve_option(option: str) -> str:
    option = option or "standard"
    if option not in ("standard", "shorter"):
        raise SchedulingError(f"Unknown infusion option {option!r}.", field="option")
    return option
