"""Booking, series, moves and cancellations."""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils import timezone

from orders import coverage
from patients.models import Patient
from scheduling import engine, selectors
from scheduling.exceptions import (
    BookingConflict,
    InvalidTransition,
    LabGateUnacknowledged,
    SchedulingError,
    SpacingViolation,
)
from scheduling.models import (
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
from scheduling.selectors import dose_history, later_open_doses
from scheduling.services.common import (
    _apply_timeline,
    _audit,
    _check_dose,
    _check_spacing,
    _enrol,
    _fmt_moment,
    _lock_patient,
    _lock_sessions,
    _place,
    _require_aware,
    _require_future,
    _resolve_option,
    _save,
    expected_next_dose,
    retry_on_deadlock,
    snapshot,
)
from scheduling.world import center_tz, dose_rule_specs
from waitlist.freed import record_freed_time

MAX_REASON = 500

# --- booking -----------------------------------------------------------------------------------


def _labs_gate(patient, protocol, placements, acknowledgement: str) -> dict[int, list]:
    """Labs at booking: the doses whose gating labs cannot be resulted in time. Without the
    coordinator's acknowledgement that is a 409 (code "labs") naming each test and the first
    day a result could be in for; with it, the acknowledgement is stored on those doses."""
    tz = center_tz()
    at_risk = {}
    for i, p in enumerate(placements):
        items = selectors.labs_at_risk(
            patient_id=patient.pk,
            protocol_id=protocol.pk,
            dose_number=p.dose_number,
            on=p.timeline.start.astimezone(tz).date(),
            course_start=i == 0,
        )
        if items:
            at_risk[p.dose_number] = items
    if at_risk and not acknowledgement:
        first = min(at_risk)
        names = ", ".join(i.test_name for i in at_risk[first])
        suggested = max(i.suggested_date for items in at_risk.values() for i in items)
        raise LabGateUnacknowledged(
            f"{protocol.brand_name} dose {first}: {names} cannot be resulted in time (no result "
            f"on file, results take days). Book it only with an acknowledgement, or choose "
            f"{suggested:%a} {suggested.day} {suggested:%b} or later.",
            conflicts=[
                {
                    "rule": "lab",
                    "resource": i.test_code,
                    "detail": f"dose {dose}: {i.message}",
                    "suggested_date": i.suggested_date.isoformat(),
                }
                for dose, items in sorted(at_risk.items())
                for i in items
            ],
        )
    return at_risk


def _book_legs(
    *,
    patient,
    protocol,
    legs,
    start,
    by,
    chair,
    nurse,
    option,
    override_reason,
    series,
    lab_acknowledgement="",
):
    placements = _place(
        patient=patient, protocol=protocol, legs=legs, first_start=start, chair=chair, nurse=nurse
    )
    acknowledgement = (lab_acknowledgement or "").strip()
    if len(acknowledgement) > 300:
        raise SchedulingError(
            "Keep the acknowledgement under 300 characters.", field="lab_acknowledgement"
        )
    at_risk = _labs_gate(patient, protocol, placements, acknowledgement)
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
        reason = override_reason.strip()
        if placement.dose_number in at_risk:
            session.lab_acknowledgement = acknowledgement
            session.lab_acknowledged_at = timezone.now()
            session.lab_acknowledged_by = by if getattr(by, "is_authenticated", False) else None
            tests = ", ".join(i.test_code for i in at_risk[placement.dose_number])
            reason = f"{reason} Labs not in time ({tests}) acknowledged: {acknowledgement}".strip()
        _save(session, create=True)
        _audit(session, "booked", by=by, reason=reason, series=series)
        outbox.plan_reminders(session)
        sessions.append(session)
    _enrol(patient, protocol)
    return sessions


@center_settings_scope
@retry_on_deadlock
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
    lab_acknowledgement: str = "",
) -> InfusionSession:
    """Book one dose at `start`. The engine picks chair and nurse when not given.

    A dose whose gating labs cannot be resulted in time needs `lab_acknowledgement` (else a
    409, code "labs"); it is stored on the session and shown wherever the session is.

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
    coverage.check(
        patient=patient,
        protocol=protocol,
        doses=[(dose_number, start.astimezone(center_tz()).date())],
        option=option,
        override_reason=override_reason,
        by=by,
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
        lab_acknowledgement=lab_acknowledgement,
    )[0]


@center_settings_scope
@retry_on_deadlock
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
    lab_acknowledgement: str = "",
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
    _check_spacing(
        patient,
        protocol,
        specs,
        first_dose,
        start.astimezone(center_tz()).date(),
        option,
        override_reason,
    )
    first_day = start.astimezone(center_tz()).date()
    coverage.check(
        patient=patient,
        protocol=protocol,
        doses=[(leg.dose_number, first_day + dt.timedelta(days=leg.day_offset)) for leg in legs],
        option=option,
        override_reason=override_reason,
        by=by,
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
        lab_acknowledgement=lab_acknowledgement,
    )
    return series


def _lock_with_later(session: InfusionSession, *, series_only: bool):
    """Patient, then this session and its later open doses, by id: the lock order."""
    head = InfusionSession.objects.select_related("protocol").get(pk=session.pk)
    later_ids = [s.pk for s in later_open_doses(session=head, series_only=series_only)]
    _lock_patient(head.patient_id)
    locked = _lock_sessions([head.pk, *later_ids])
    session = locked[head.pk]
    # Re-read under the lock: only doses still open and still later count.
    later = sorted(
        (
            s
            for pk, s in locked.items()
            if pk != head.pk
            and s.status in (SessionStatus.BOOKED, SessionStatus.CONFIRMED)
            and s.dose_number > session.dose_number
        ),
        key=lambda s: s.dose_number,
    )
    return session, later


def _shift(moment: dt.datetime, days: int, tz) -> dt.datetime:
    """The same local clock time `days` later (across a DST change too)."""
    local = moment.astimezone(tz)
    return dt.datetime.combine(local.date() + dt.timedelta(days=days), local.time(), tzinfo=tz)


def _move_one(session, *, start, chair, nurse, override_reason, by, exclude_ids, reason=""):
    """Place one session at `start` (spacing checked against the doses as they stand now),
    write it, audit it, re-time its reminders and tell the patient."""
    before = snapshot(session)
    record_freed_time(session=session, reason="moved")  # the old time, for the waitlist
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
    coverage.check(
        patient=session.patient,
        protocol=session.protocol,
        doses=[(session.dose_number, start.astimezone(center_tz()).date())],
        option=session.option,
        override_reason=override_reason,
        exclude_session_ids=(session.pk,),
        by=by,
    )
    legs = (engine.Leg(dose_number=session.dose_number, day_offset=0, timing=rule.timing),)
    (placement,) = _place(
        patient=session.patient,
        protocol=session.protocol,
        legs=legs,
        first_start=start,
        chair=chair,
        nurse=nurse,
        exclude_ids=tuple(exclude_ids),
    )
    _apply_timeline(session, placement)
    session.status = SessionStatus.BOOKED  # a moved session needs confirming again
    session.confirmed_at = None
    if override_reason:
        session.override_reason = override_reason
    _save(session, create=False)
    _audit(session, "rescheduled", by=by, before=before, reason=reason or override_reason)
    outbox.retime_reminders(session)
    outbox.queue_notice(session, ReminderKind.RESCHEDULE)
    return session


def _check_later_doses(session, later, override_reason) -> None:
    """Staying where they are, do the later doses still respect spacing and their windows
    after this dose moved? Refused (with what to do) unless an override reason is given."""
    if override_reason or session.protocol.courses_as_needed:
        return
    specs = dose_rule_specs(session.protocol)
    tz = center_tz()
    for dose in later:
        history = [
            g
            for g in dose_history(
                patient=session.patient, protocol=session.protocol, exclude_id=dose.pk
            )
            if g.dose_number < dose.dose_number
        ]
        day = dose.start.astimezone(tz).date()
        check = engine.check_spacing(specs, history, dose.dose_number, day, dose.option)
        if check.violation is not None or check.needs_override:
            what = (
                "too soon after the dose before it"
                if check.violation is not None
                else "outside its window"
            )
            raise SpacingViolation(
                f"{session.protocol.brand_name} dose {dose.dose_number} stays booked on "
                f"{_fmt_moment(dose.start)}, which would then be {what}. Move the later doses "
                "with it, or give an override reason.",
                field="move_series",
            )


@center_settings_scope
@retry_on_deadlock
@transaction.atomic
def reschedule(
    *,
    session: InfusionSession,
    start: dt.datetime,
    by=None,
    chair: Chair | None = None,
    nurse: Nurse | None = None,
    override_reason: str = "",
    move_series: bool = False,
) -> InfusionSession:
    """Move a booked or confirmed session. Reminders are re-timed and the patient told.

    The patient's later open doses of the protocol either move with it (`move_series`: each
    keeps its offset in days and its own clock time, every dosing rule re-checked, a chair and
    nurse found at that time), or stay; a move that would leave one of them too soon or
    outside its window is refused unless an override reason is given. All or nothing. The
    moved later doses are on `session.moved_with`."""
    _require_aware(start)
    _require_future(start)
    override_reason = (override_reason or "").strip()
    if len(override_reason) > MAX_REASON:
        raise SchedulingError(
            f"Keep the reason under {MAX_REASON} characters.", field="override_reason"
        )
    session, later = _lock_with_later(session, series_only=False)
    if session.status not in (SessionStatus.BOOKED, SessionStatus.CONFIRMED):
        raise InvalidTransition(
            f"This session is {session.get_status_display().lower()}; it cannot be moved."
        )
    tz = center_tz()
    days = (start.astimezone(tz).date() - session.start.astimezone(tz).date()).days
    moving = [session, *later] if move_series else [session]
    exclude = [s.pk for s in moving]
    _move_one(
        session,
        start=start,
        chair=chair,
        nurse=nurse,
        override_reason=override_reason,
        by=by,
        exclude_ids=exclude,
    )
    session.moved_with = []
    if not move_series:
        _check_later_doses(session, later, override_reason)
        return session
    for dose in later:  # in dose order, so each is checked against the one just moved
        new_start = _shift(dose.start, days, tz)
        try:
            _move_one(
                dose,
                start=new_start,
                chair=None,
                nurse=None,
                override_reason=override_reason,
                by=by,
                exclude_ids=exclude,
                reason=f"Moved with dose {session.dose_number}. {override_reason}".strip(),
            )
        except BookingConflict as exc:
            raise BookingConflict(
                f"Dose {dose.dose_number} cannot move with it to {_fmt_moment(new_start)}: {exc}",
                conflicts=exc.conflicts,
            ) from exc
        except SchedulingError as exc:
            raise exc.__class__(
                f"Dose {dose.dose_number} cannot move with it to {_fmt_moment(new_start)}: {exc}",
                field="move_series",
            ) from exc
        session.moved_with.append(dose)
    return session


@center_settings_scope
@retry_on_deadlock
@transaction.atomic
def cancel(
    *,
    session: InfusionSession,
    reason: str,
    by=None,
    actor_label: str = "",
    notify_patient: bool = True,
) -> InfusionSession:
    """Cancel with a reason: frees the chair, cancels pending reminders, tells the patient once.
    Only an open session still ahead: a checked-in, seated, completed or past one is refused
    (409 state). The later open doses of its series (dose 2 of an induction, the rest of a
    course) are cancelled with it, listed on `session.cancelled_with`."""
    reason = (reason or "").strip()
    if not reason:
        raise SchedulingError("Say why the session is cancelled.", field="reason")
    if len(reason) > MAX_REASON:
        raise SchedulingError(f"Keep the reason under {MAX_REASON} characters.", field="reason")
    session, later = _lock_with_later(session, series_only=True)
    if session.status not in (SessionStatus.BOOKED, SessionStatus.CONFIRMED):
        # A checked-in or seated patient is here: that visit ends as completed (or is
        # corrected), never as a cancellation after the fact.
        raise InvalidTransition(
            f"This session is {session.get_status_display().lower()}; it cannot be cancelled."
        )
    now = timezone.now()
    if session.start <= now:
        raise InvalidTransition(
            f"This session's time ({_fmt_moment(session.start)}) has passed; it cannot be "
            "cancelled. Mark it a no-show if the patient did not come."
        )
    _cancel_one(session, reason, now, by=by, actor_label=actor_label, notify=notify_patient)
    # The rest of an induction or a course cannot stand without this dose: dose 2 of Ocrevus
    # is given 14 days after dose 1, day 2 of a Lemtrada course follows day 1. They go too,
    # in this transaction, and the caller is told which (session.cancelled_with).
    session.cancelled_with = []
    for dose in later:
        _cancel_one(
            dose,
            f"Cancelled with dose {session.dose_number}: {reason}"[:MAX_REASON],
            now,
            by=by,
            actor_label=actor_label,
            notify=notify_patient,
        )
        session.cancelled_with.append(dose)
    return session


def _cancel_one(session, reason, now, *, by, actor_label, notify):
    before = snapshot(session)
    record_freed_time(session=session, reason="cancelled")  # offered to the waitlist
    session.status = SessionStatus.CANCELLED
    session.cancel_reason = reason
    session.cancelled_at = now
    session.save(update_fields=["status", "cancel_reason", "cancelled_at", "updated_at"])
    _audit(session, "cancelled", by=by, actor_label=actor_label, before=before, reason=reason)
    outbox.cancel_reminders(session, reason="session cancelled")
    if notify:
        outbox.queue_notice(session, ReminderKind.CANCELLATION)
