"""Every write to the schedule goes through here (DESIGN §5).

Each service runs in one transaction: it validates, takes locks (patient, then chairs and
nurses in id order), re-reads the busy sessions under those locks, re-checks every rule with
the engine, writes, and in the same transaction writes the audit row and the reminder outbox.
A clash raises BookingConflict (HTTP 409); anything a coordinator must fix raises a
SchedulingError (HTTP 400). On PostgreSQL the exclusion constraints are the last line.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from django.db import IntegrityError, transaction
from django.utils import timezone

from patients.models import Patient, PatientProtocol
from scheduling import engine
from scheduling.exceptions import (
    BookingConflict,
    InvalidTransition,
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
    ReminderKind,
    Series,
    SessionStatus,
    center_settings_scope,
)
from scheduling.notifications import outbox
from scheduling.selectors import dose_history
from scheduling.world import center_tz, dose_rule_specs, load_world, max_doses

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


# --- booking -----------------------------------------------------------------------------------


def _book_legs(
    *, patient, protocol, legs, start, by, chair, nurse, option, override_reason, series
):
    placements = _place(
        patient=patient, protocol=protocol, legs=legs, first_start=start, chair=chair, nurse=nurse
    )
    sessions = []
    for placement in placements:
        session = InfusionSession(
            patient=patient,
            protocol=protocol,
            dose_number=placement.dose_number,
            option=option,
            series=series,
            status=SessionStatus.BOOKED,
            override_reason=override_reason.strip(),
            created_by=by if getattr(by, "is_authenticated", False) else None,
        )
        _apply_timeline(session, placement)
        _save(session, create=True)
        _audit(session, "booked", by=by, reason=override_reason.strip(), series=series)
        outbox.plan_reminders(session)
        sessions.append(session)
    _enrol(patient, protocol)
    return sessions


@center_settings_scope
@transaction.atomic
def book_session(
    *,
    patient: Patient,
    protocol: Protocol,
    dose_number: int,
    start: dt.datetime,
    by=None,
    chair: Chair | None = None,
    nurse: Nurse | None = None,
    option: str = "standard",
    override_reason: str = "",
) -> InfusionSession:
    """Book one dose at `start`. The engine picks chair and nurse when not given.

    Raises BookingConflict when the chair, nurse or patient is taken; SchedulingError (and its
    OutsideHours / SpacingViolation subclasses) when the request itself is invalid.
    """
    _require_aware(start)
    _require_future(start)
    option = _resolve_option(option)
    _lock_patient(patient)
    specs = dose_rule_specs(protocol)
    _check_dose(patient, protocol, specs, dose_number)
    rule = engine.rule_for(specs, dose_number, option)
    _check_spacing(
        patient,
        protocol,
        specs,
        dose_number,
        start.astimezone(center_tz()).date(),
        option,
        override_reason,
    )
    legs = (engine.Leg(dose_number=dose_number, day_offset=0, timing=rule.timing),)
    return _book_legs(
        patient=patient,
        protocol=protocol,
        legs=legs,
        start=start,
        by=by,
        chair=chair,
        nurse=nurse,
        option=option,
        override_reason=override_reason,
        series=None,
    )[0]


@center_settings_scope
@transaction.atomic
def book_series(
    *,
    patient: Patient,
    protocol: Protocol,
    start: dt.datetime,
    by=None,
    first_dose: int | None = None,
    option: str = "standard",
    length: int | None = None,
    override_reason: str = "",
) -> Series:
    """Book a protocol's series in one step: Ocrevus/Briumvi day 0 + day 14, a Lemtrada course,
    a 3–5 day steroid course. Every dose at the same local clock time; all or none."""
    _require_aware(start)
    _require_future(start)
    option = _resolve_option(option)
    _lock_patient(patient)
    specs = dose_rule_specs(protocol)
    first_dose = first_dose or expected_next_dose(patient, protocol)
    _check_dose(patient, protocol, specs, first_dose)
    legs = engine.series_legs(specs, first_dose, option, length)
    if length is not None and len(legs) != length:
        raise SchedulingError(
            f"This series can be {len(legs)} day(s) long from dose {first_dose}, not {length}.",
            field="length",
        )
    cap = max_doses(protocol, specs)
    if cap is not None and legs[-1].dose_number > cap:
        raise SchedulingError(
            f"The series would pass the lifetime limit ({cap} doses).", field="length"
        )
    _check_spacing(
        patient,
        protocol,
        specs,
        first_dose,
        start.astimezone(center_tz()).date(),
        option,
        override_reason,
    )
    series = Series.objects.create(
        patient=patient,
        protocol=protocol,
        created_by=by if getattr(by, "is_authenticated", False) else None,
    )
    _book_legs(
        patient=patient,
        protocol=protocol,
        legs=legs,
        start=start,
        by=by,
        chair=None,
        nurse=None,
        option=option,
        override_reason=override_reason,
        series=series,
    )
    return series


@center_settings_scope
@transaction.atomic
def reschedule(
    *,
    session: InfusionSession,
    start: dt.datetime,
    by=None,
    chair: Chair | None = None,
    nurse: Nurse | None = None,
    override_reason: str = "",
) -> InfusionSession:
    """Move a booked or confirmed session. Reminders are re-timed and the patient told."""
    _require_aware(start)
    _require_future(start)
    _lock_patient(session.patient)
    session = (
        InfusionSession.objects.select_for_update()
        .select_related("protocol", "patient")
        .get(pk=session.pk)
    )
    if session.status not in (SessionStatus.BOOKED, SessionStatus.CONFIRMED):
        raise InvalidTransition(
            f"A {session.get_status_display().lower()} session cannot be moved."
        )
    before = snapshot(session)
    specs = dose_rule_specs(session.protocol)
    rule = engine.rule_for(specs, session.dose_number, session.option)
    _check_spacing(
        session.patient,
        session.protocol,
        specs,
        session.dose_number,
        start.astimezone(center_tz()).date(),
        session.option,
        override_reason or session.override_reason,
        exclude_id=session.pk,
    )
    legs = (engine.Leg(dose_number=session.dose_number, day_offset=0, timing=rule.timing),)
    (placement,) = _place(
        patient=session.patient,
        protocol=session.protocol,
        legs=legs,
        first_start=start,
        chair=chair,
        nurse=nurse,
        exclude_ids=(session.pk,),
    )
    _apply_timeline(session, placement)
    session.status = SessionStatus.BOOKED  # a moved session needs confirming again
    session.confirmed_at = None
    if override_reason.strip():
        session.override_reason = override_reason.strip()
    _save(session, create=False)
    _audit(session, "rescheduled", by=by, before=before, reason=override_reason.strip())
    outbox.retime_reminders(session)
    outbox.queue_notice(session, ReminderKind.RESCHEDULE)
    return session


@center_settings_scope
@transaction.atomic
def cancel(
    *,
    session: InfusionSession,
    reason: str,
    by=None,
    actor_label: str = "",
    notify_patient: bool = True,
) -> InfusionSession:
    """Cancel with a reason: frees the chair, cancels pending reminders, tells the patient once."""
    reason = (reason or "").strip()
    if not reason:
        raise SchedulingError("Say why the session is cancelled.", field="reason")
    session = (
        InfusionSession.objects.select_for_update()
        .select_related("protocol", "patient")
        .get(pk=session.pk)
    )
    if session.status not in (
        SessionStatus.BOOKED,
        SessionStatus.CONFIRMED,
        SessionStatus.CHECKED_IN,
    ):
        raise InvalidTransition(
            f"A {session.get_status_display().lower()} session cannot be cancelled."
        )
    before = snapshot(session)
    session.status = SessionStatus.CANCELLED
    session.cancel_reason = reason
    session.save(update_fields=["status", "cancel_reason", "updated_at"])
    _audit(session, "cancelled", by=by, actor_label=actor_label, before=before, reason=reason)
    outbox.cancel_reminders(session, reason="session cancelled")
    if notify_patient:
        outbox.queue_notice(session, ReminderKind.CANCELLATION)
    return session


# --- the day of the infusion ------------------------------------------------------------------

_TRANSITIONS = {
    # action: (allowed from, to, timestamp field)
    "confirmed": ((SessionStatus.BOOKED,), SessionStatus.CONFIRMED, "confirmed_at"),
    "checked_in": (
        (SessionStatus.BOOKED, SessionStatus.CONFIRMED),
        SessionStatus.CHECKED_IN,
        "checked_in_at",
    ),
    "started": ((SessionStatus.CHECKED_IN,), SessionStatus.IN_CHAIR, "started_at"),
    "completed": ((SessionStatus.IN_CHAIR,), SessionStatus.COMPLETED, "completed_at"),
    "no_show": ((SessionStatus.BOOKED, SessionStatus.CONFIRMED), SessionStatus.NO_SHOW, None),
}


def _transition(
    session: InfusionSession, action: str, *, by=None, actor_label: str = ""
) -> InfusionSession:
    allowed, target, stamp = _TRANSITIONS[action]
    session = (
        InfusionSession.objects.select_for_update()
        .select_related("protocol", "patient")
        .get(pk=session.pk)
    )
    if session.status == target:
        return session  # idempotent: a double click or a second link click changes nothing
    if session.status not in allowed:
        raise InvalidTransition(
            f"Cannot go from {session.get_status_display().lower()} to {target.label.lower()}."
        )
    if action == "started" and session.protocol.needs_rems and session.rems_checked_at is None:
        raise InvalidTransition(
            f"Record the {session.protocol.rems_program} check before starting the infusion.",
            field="rems",
        )
    before = snapshot(session)
    session.status = target
    fields = ["status", "updated_at"]
    if stamp:
        setattr(session, stamp, timezone.now())
        fields.append(stamp)
    session.save(update_fields=fields)
    _audit(session, action, by=by, actor_label=actor_label, before=before)
    if target == SessionStatus.NO_SHOW:
        outbox.cancel_reminders(session, reason="no show")
    return session


@center_settings_scope
@transaction.atomic
def confirm(*, session: InfusionSession, by=None, actor_label: str = "") -> InfusionSession:
    """The patient (from the link or by phone) confirms they will come."""
    return _transition(session, "confirmed", by=by, actor_label=actor_label)


@center_settings_scope
@transaction.atomic
def check_in(*, session: InfusionSession, by=None) -> InfusionSession:
    """The patient has arrived."""
    return _transition(session, "checked_in", by=by)


@center_settings_scope
@transaction.atomic
def start_infusion(*, session: InfusionSession, by=None) -> InfusionSession:
    """The patient is in the chair (premedication starts). REMS drugs need the check first."""
    return _transition(session, "started", by=by)


@center_settings_scope
@transaction.atomic
def complete(*, session: InfusionSession, by=None) -> InfusionSession:
    """Infusion and observation done; the chair goes to turnover."""
    return _transition(session, "completed", by=by)


@center_settings_scope
@transaction.atomic
def mark_no_show(*, session: InfusionSession, by=None) -> InfusionSession:
    """The patient did not come. Only once the start time has passed."""
    if session.start > timezone.now():
        raise InvalidTransition("A session can be marked no-show only after its start time.")
    return _transition(session, "no_show", by=by)


@center_settings_scope
@transaction.atomic
def record_rems_check(*, session: InfusionSession, by) -> InfusionSession:
    """The nurse verified the patient's REMS authorization for this infusion."""
    session = (
        InfusionSession.objects.select_for_update().select_related("protocol").get(pk=session.pk)
    )
    if not session.protocol.needs_rems:
        raise SchedulingError(f"{session.protocol.brand_name} has no REMS program.", field="rems")
    if session.rems_checked_at is None:
        before = snapshot(session)
        session.rems_checked_at = timezone.now()
        session.rems_checked_by = by if getattr(by, "is_authenticated", False) else None
        session.save(update_fields=["rems_checked_at", "rems_checked_by", "updated_at"])
        _audit(session, "rems_checked", by=by, before=before)
    return session


@center_settings_scope
@transaction.atomic
def record_past_dose(
    *,
    patient: Patient,
    protocol: Protocol,
    dose_number: int,
    start: dt.datetime,
    chair: Chair,
    nurse: Nurse | None = None,
    option: str = "standard",
    by=None,
) -> InfusionSession:
    """Enter a dose already given (history from before the center used this system, or demo
    data). Stored as completed; no reminders; the timeline from the catalogue."""
    _require_aware(start)
    if start > timezone.now():
        raise SchedulingError("A past dose cannot be in the future.", field="start")
    specs = dose_rule_specs(protocol)
    rule = engine.rule_for(specs, dose_number, option)
    from scheduling.models import CenterSettings

    timeline = engine.build_timeline(start, rule.timing, CenterSettings.load().turnover_minutes)
    session = InfusionSession(
        patient=patient,
        protocol=protocol,
        dose_number=dose_number,
        option=option,
        chair=chair,
        nurse=nurse,
        status=SessionStatus.COMPLETED,
        completed_at=timeline.observation_end,
    )
    _apply_timeline(
        session, engine.Placement(dose_number, chair.pk, nurse.pk if nurse else None, timeline)
    )
    session.save(force_insert=True)
    _audit(session, "recorded_past_dose", by=by)
    _enrol(patient, protocol)
    return session
