"""Fit-me-in: apply a repack of one day so a patient who needs that day gets a chair.

The proposal (scheduling/planning/fit.propose_fit) reassigns chairs and nurses of sessions
that have not started, their times unchanged; only when the coordinator allowed it does it
also shift unconfirmed sessions by a few minutes. apply_fit does it all in one transaction:
locks in the documented order (patients, then sessions, then chairs, then nurses, each by
id), checks that every session is still as the proposal saw it (else 409: the coordinator
gets a fresh proposal), re-checks every moved session and the new booking with the engine,
writes, audits each change, re-times reminders and tells patients whose time moved.
"""

from __future__ import annotations

import datetime as dt

from django.db import IntegrityError, connection, transaction

from patients.models import Patient
from scheduling import engine
from scheduling.engine import fitmein as efit
from scheduling.exceptions import BookingConflict, SchedulingError
from scheduling.models import (
    Chair,
    InfusionSession,
    Nurse,
    Protocol,
    ReminderKind,
    SessionStatus,
    center_settings_scope,
)
from scheduling.notifications import outbox
from scheduling.services.booking import book_session
from scheduling.services.common import _audit, _raise_for, snapshot
from scheduling.world import center_tz, load_world

MOVABLE = (SessionStatus.BOOKED, SessionStatus.CONFIRMED)


def _stale(message: str, session_id: int | None = None) -> BookingConflict:
    return BookingConflict(
        message,
        conflicts=[
            {
                "rule": "state",
                "resource": f"session:{session_id}" if session_id else None,
                "detail": "the day changed since the proposal was made",
            }
        ],
    )


@center_settings_scope
@transaction.atomic
def apply_fit(
    *,
    patient: Patient,
    protocol: Protocol,
    dose_number: int,
    start: dt.datetime,
    chair: Chair,
    nurse: Nurse,
    moves: list[efit.Move],
    allow_shift: bool,
    by=None,
    option: str = "standard",
    override_reason: str = "",
) -> InfusionSession:
    """Apply a fit-me-in proposal and book the dose it made room for.

    `moves` are the engine's Move rows exactly as proposed. Without `allow_shift` a move that
    changes a time is refused (400): fit-me-in never moves a patient's time unasked. Raises
    BookingConflict (409) when anything changed since the proposal (a session moved, started
    or was cancelled, the slot was taken); the caller then proposes again."""
    from scheduling.models import CenterSettings

    center = CenterSettings.load()
    for m in moves:
        if m.time_changed:
            if not allow_shift:
                raise SchedulingError(
                    "This proposal moves a patient's time; allow time shifts to apply it.",
                    field="allow_shift",
                )
            shift = abs((m.start_after - m.start_before).total_seconds()) / 60
            if shift > center.fitmein_max_shift_minutes:
                raise SchedulingError(
                    f"A session would move by {shift:.0f} minutes; the center allows at most "
                    f"{center.fitmein_max_shift_minutes}.",
                    field="allow_shift",
                )
    ids = sorted({m.session_id for m in moves})
    # Lock order: patients, then sessions, then chairs, then nurses, each by id.
    head = dict(InfusionSession.objects.filter(pk__in=ids).values_list("pk", "patient_id"))
    if len(head) != len(ids):
        raise _stale("A session in the proposal is gone; here is a fresh proposal.")
    patient_ids = sorted({patient.pk, *head.values()})
    list(
        Patient.objects.select_for_update()
        .filter(pk__in=patient_ids)
        .order_by("pk")
        .values_list("pk")
    )
    sessions = {
        s.pk: s
        for s in InfusionSession.objects.select_for_update(of=("self",))
        .select_related("protocol", "patient")
        .filter(pk__in=ids)
        .order_by("pk")
    }
    chair_ids = sorted(
        {chair.pk} | {m.chair_after for m in moves} | {m.chair_before for m in moves}
    )
    nurse_ids = sorted(
        {nurse.pk}
        | {m.nurse_after for m in moves}
        | {m.nurse_before for m in moves if m.nurse_before}
    )
    list(
        Chair.objects.select_for_update().filter(pk__in=chair_ids).order_by("pk").values_list("pk")
    )
    list(
        Nurse.objects.select_for_update().filter(pk__in=nurse_ids).order_by("pk").values_list("pk")
    )
    for m in moves:
        s = sessions[m.session_id]
        if (
            s.status not in MOVABLE
            or s.start != m.start_before
            or s.chair_id != m.chair_before
            or s.nurse_id != m.nurse_before
        ):
            raise _stale(
                f"Session {s.pk} changed since the proposal was made; here is a fresh proposal.",
                s.pk,
            )
        if m.time_changed and s.status == SessionStatus.CONFIRMED:
            raise SchedulingError("A confirmed session never moves in time.", field="allow_shift")
    tz = center_tz()
    day = start.astimezone(tz).date()
    world = load_world(
        date_from=day - dt.timedelta(days=1),
        date_to=day + dt.timedelta(days=1),
        exclude_session_ids=tuple(ids),
    )
    busy = list(world.busy)
    new_rows = {}
    for m in moves:
        s = sessions[m.session_id]
        length = s.chair_release_at - s.start
        stay = s.observation_end - s.start
        new_rows[s.pk] = engine.BusySession(
            s.pk,
            s.patient_id,
            m.chair_after,
            m.nurse_after,
            m.start_after,
            m.start_after + stay,
            m.start_after + length,
        )
    for m in moves:
        s = sessions[m.session_id]
        others = busy + [b for k, b in new_rows.items() if k != s.pk]
        row = new_rows[s.pk]
        timing = engine.DoseTiming(
            int((s.infusion_start - s.start).total_seconds() // 60),
            int((s.infusion_end - s.infusion_start).total_seconds() // 60),
            int((s.observation_end - s.infusion_end).total_seconds() // 60),
        )
        tl = engine.build_timeline(row.start, timing, world.center.turnover_minutes)
        _raise_for(
            engine.check_unit(
                center=world.center,
                chairs=world.chairs,
                nurses=world.nurses,
                busy=others,
                patient_id=s.patient_id,
                placements=[engine.Placement(s.dose_number, row.chair_id, row.nurse_id, tl)],
                required_skill=s.protocol.required_skill or None,
                required_chair_kind=s.protocol.required_chair_kind or None,
            )
        )
    # Swaps (A takes B's chair, B takes A's) pass through a moment where two rows share a
    # chair: the chair constraint is deferred inside a savepoint and checked before it ends,
    # and set back to immediate whatever happens, so a caller's transaction is unchanged.
    deferred = connection.vendor == "postgresql" and bool(moves)
    try:
        with transaction.atomic():
            if deferred:
                _set_chair_constraint("DEFERRED")
            session = _write(
                moves=moves,
                sessions=sessions,
                patient=patient,
                protocol=protocol,
                dose_number=dose_number,
                start=start,
                chair=chair,
                nurse=nurse,
                option=option,
                override_reason=override_reason,
                by=by,
            )
            if deferred:
                _set_chair_constraint("IMMEDIATE")  # raises here if a chair is double-booked
    except IntegrityError as exc:
        raise _stale("Another booking took a chair of this proposal; here is a fresh one.") from exc
    finally:
        if deferred and not connection.needs_rollback:
            _set_chair_constraint("IMMEDIATE")
    return session


def _set_chair_constraint(mode: str) -> None:
    with connection.cursor() as cursor:
        cursor.execute(f"SET CONSTRAINTS session_no_chair_overlap {mode}")


def _write(
    *,
    moves,
    sessions,
    patient,
    protocol,
    dose_number,
    start,
    chair,
    nurse,
    option,
    override_reason,
    by,
):
    """Move the sessions as proposed (audit, reminders), then book the new dose."""
    for m in moves:
        s = sessions[m.session_id]
        before = snapshot(s)
        delta = m.start_after - s.start
        s.chair_id, s.nurse_id = m.chair_after, m.nurse_after
        if m.time_changed:
            for f in (
                "start",
                "premed_start",
                "infusion_start",
                "infusion_end",
                "observation_end",
                "chair_release_at",
            ):
                setattr(s, f, getattr(s, f) + delta)
        s.save()
        _audit(
            s,
            "fit_me_in_moved" if m.time_changed else "fit_me_in_reassigned",
            by=by,
            before=before,
            reason=f"made room for {patient.initials} ({protocol.brand_name} dose {dose_number})",
        )
        if m.time_changed:
            outbox.retime_reminders(s)
            outbox.queue_notice(s, ReminderKind.RESCHEDULE)
    return book_session(
        patient=patient,
        protocol=protocol,
        dose_number=dose_number,
        start=start,
        by=by,
        chair=chair,
        nurse=nurse,
        option=option,
        override_reason=override_reason,
    )
