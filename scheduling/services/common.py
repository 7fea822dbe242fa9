"""Helpers every write path shares: input checks, dose and spacing rules, locks, placement
with a re-check under the locks, saving with the exclusion constraints mapped to 409s, audit."""

from __future__ import annotations

import datetime as dt
import functools
import logging
import random
import time
from collections.abc import Iterable, Sequence

from django.db import IntegrityError, OperationalError, connection, transaction
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
    HELD_STATUSES,
    AuditEvent,
    Chair,
    InfusionSession,
    Nurse,
    Protocol,
)
from scheduling.selectors import dose_history
from scheduling.world import center_tz, load_world

log = logging.getLogger(__name__)

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


ACTUAL_TIMES = (
    "confirmed_at",
    "checked_in_at",
    "in_chair_at",
    "started_at",
    "infusion_ended_at",
    "completed_at",
    "no_show_at",
    "cancelled_at",
)


def audit_instant(moment: dt.datetime | None) -> str | None:
    """An instant as the audit trail writes it: center-local ISO 8601 with its offset.

    A session read from the database carries UTC and one just edited carries the zone it was
    given in, so writing each as it came made `before` and `after` differ for the same time
    (issue 10); one zone for both sides keeps a diff to the real changes."""
    if moment is None:
        return None
    return moment.astimezone(center_tz()).isoformat()


def snapshot(session: InfusionSession) -> dict:
    """What the audit trail keeps of a session, before and after a change."""
    return {
        "status": session.status,
        "dose_number": session.dose_number,
        "protocol": session.protocol.code if session.protocol_id else None,
        "patient_id": session.patient_id,
        "chair_id": session.chair_id,
        "nurse_id": session.nurse_id,
        "start": audit_instant(session.start),
        "chair_release_at": audit_instant(session.chair_release_at),
        "override_reason": session.override_reason,
        # Actual times: a correction's audit row shows what was undone.
        **{name: audit_instant(getattr(session, name)) for name in ACTUAL_TIMES},
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
    if dose_number < expected:
        # Valid a moment ago, most likely: a concurrent request (or a colleague) booked or gave
        # this dose first. That is a conflict with the session in the way, not bad input.
        holder = (
            InfusionSession.objects.filter(
                patient=patient, protocol=protocol, dose_number=dose_number
            )
            .filter(status__in=HELD_STATUSES)
            .exclude(pk=exclude_id)
            .order_by("-start")
            .first()
        )
        where = f" on {_fmt_moment(holder.start)}" if holder else ""
        raise BookingConflict(
            f"{protocol.brand_name} dose {dose_number} is already booked or given{where}; "
            f"the next dose for this patient is {expected}.",
            conflicts=[
                {
                    "rule": "dose",
                    "resource": f"session:{holder.pk}" if holder else f"patient:{patient.pk}",
                    "detail": f"dose {dose_number} already held; next is {expected}",
                }
            ],
        )
    if dose_number != expected:
        raise SchedulingError(
            f"{protocol.brand_name} dose {dose_number} is not next for this patient: "
            f"the next dose is {expected}.",
            field="dose_number",
        )
    # The lifetime cap is dose-based (orders.coverage), checked with the order's amounts.
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


def _lock_patient(patient: Patient | int) -> None:
    """First lock of every write: the patient row. It serializes everything about one patient
    (which dose is next, spacing, overlaps) before anything is checked. See the lock order in
    scheduling/services/__init__.py. SQLite ignores row locks; its IMMEDIATE transactions
    already serialize writers."""
    pk = patient if isinstance(patient, int) else patient.pk
    list(Patient.objects.select_for_update().filter(pk=pk).values_list("pk"))


def _lock_sessions(session_ids: Iterable[int]) -> dict[int, InfusionSession]:
    """Second in the lock order: the sessions a write changes, by id. `of=("self",)` so the
    joined protocol and patient rows are read but never locked (a join under FOR UPDATE would
    lock the protocol row every booking of that drug reads, and the patient out of order)."""
    ids = sorted(set(session_ids))
    rows = (
        InfusionSession.objects.select_for_update(of=("self",))
        .select_related("protocol", "patient")
        .filter(pk__in=ids)
        .order_by("pk")
    )
    return {s.pk: s for s in rows}


def _lock_session(session: InfusionSession | int) -> InfusionSession:
    """Patient, then the session: the start of every write to one existing session. The
    patient id is read without a lock (it never changes), then both are locked in order."""
    pk = session if isinstance(session, int) else session.pk
    try:
        patient_id = InfusionSession.objects.values_list("patient_id", flat=True).get(pk=pk)
    except InfusionSession.DoesNotExist as exc:
        raise SchedulingError("That session does not exist.", field="session") from exc
    _lock_patient(patient_id)
    return _lock_sessions([pk])[pk]


def _lock(chair_ids, nurse_ids) -> None:
    """Third and fourth in the lock order: chairs, then nurses, each by id."""
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


def _is_deadlock(exc: BaseException) -> bool:
    cause = getattr(exc, "__cause__", None)
    return getattr(cause, "sqlstate", None) == "40P01" or getattr(cause, "pgcode", None) == "40P01"


def retry_on_deadlock(func):
    """Run a write service again, once, when PostgreSQL reports a deadlock (SQLSTATE 40P01).

    The lock order makes deadlocks between our own write paths impossible, but PostgreSQL
    also takes locks we do not order (foreign-key checks take KEY SHARE on the referenced
    rows, the exclusion constraints' index). The victim's transaction is rolled back whole,
    so running it again is safe. A second deadlock answers a 409 "busy": try again, never a
    500. The retry waits a few random milliseconds first. Wrap it outside transaction.atomic; inside a caller's transaction there is nothing
    to retry (the caller's work is lost too), so the error goes up unchanged."""

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        if connection.in_atomic_block:
            return func(*args, **kwargs)
        try:
            return func(*args, **kwargs)
        except OperationalError as exc:
            if not _is_deadlock(exc):
                raise
            log.warning("deadlock in %s; retrying once", func.__name__)
            # A short random pause: the survivor wakes and takes the row it waited for before
            # the retry asks for it again (an instant retry can win that race and deadlock anew).
            time.sleep(random.uniform(0.02, 0.08))
        try:
            return func(*args, **kwargs)
        except OperationalError as exc:
            if not _is_deadlock(exc):
                raise
            log.warning("second deadlock in %s: %s", func.__name__, exc)
            raise BookingConflict(
                "Someone else was changing the same sessions at that moment. Try again.",
                code="busy",
            ) from exc

    return wrapper


def _local_day(moment: dt.datetime) -> dt.date:
    return moment.astimezone(center_tz()).date()


def _fmt_day(day: dt.date) -> str:
    """A local date as the clinic writes it: 'Wed 2 Dec 2026'."""
    return f"{day:%a} {day.day} {day:%b %Y}"


def _fmt_moment(moment: dt.datetime) -> str:
    local = moment.astimezone(center_tz())
    return f"{_fmt_day(local.date())} {local:%H:%M}"


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
