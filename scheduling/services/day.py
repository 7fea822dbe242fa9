"""The day of the infusion: confirm, check in, seat, start, end, complete, no-show, REMS check,
and the charge nurse's corrections.

The lifecycle follows the clock (DESIGN §4.8): check-in only on the session's local day and
from `check_in_opens_minutes` before its start; the infusion starts only after check-in (and
the REMS check for REMS drugs); completion only after the start; no-show only once the start
plus `no_show_grace_minutes` has passed. Every step stores when it really happened and who did
it (the actual-time fields the operations analytics read). Each step takes an optional `at`:
the time it really happened, for late charting and the demo seeder; never in the future and,
for the steps at the chair, on the session's local day.

A refused step is an InvalidTransition: HTTP 409, code "state", with a sentence a nurse
understands.
"""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils import timezone

from scheduling import selectors
from scheduling.exceptions import (
    InvalidTransition,
    LabGateUnacknowledged,
    NotPermitted,
    SchedulingError,
)
from scheduling.models import (
    CenterSettings,
    InfusionSession,
    SessionStatus,
    center_settings_scope,
)
from scheduling.notifications import outbox
from scheduling.roles import CORRECTORS, roles_of
from scheduling.services.common import (
    _audit,
    _fmt_day,
    _fmt_moment,
    _local_day,
    _lock_session,
    _require_aware,
    _save,
    retry_on_deadlock,
    snapshot,
)
from scheduling.world import center_tz

MAX_REASON = 500
_OPEN = (SessionStatus.BOOKED, SessionStatus.CONFIRMED)


def _user(by):
    return by if getattr(by, "is_authenticated", False) else None


def _status(session: InfusionSession) -> str:
    return session.get_status_display().lower()


def _when(session: InfusionSession, at: dt.datetime | None, *, on_day: bool = True) -> dt.datetime:
    """The moment a step happened: `at` if given (checked), else now.

    A given `at` that is in the future or, for a step at the chair, not on the session's local
    day is a bad request (400): it could never be right. Now falling on another day is a state
    conflict, answered by the step itself with the sentence for the nurse."""
    now = timezone.now()
    if at is None:
        return now
    _require_aware(at, field="at")
    if at > now:
        raise SchedulingError("That time is in the future.", field="at")
    if on_day and _local_day(at) != _local_day(session.start):
        raise SchedulingError(
            f"That time is not on the session's day ({_fmt_day(_local_day(session.start))}).",
            field="at",
        )
    return at


def _not_before(at: dt.datetime, earlier: dt.datetime | None, what: str) -> None:
    if earlier is not None and at < earlier:
        raise SchedulingError(
            f"That time is before the patient {what} ({_fmt_moment(earlier)}).", field="at"
        )


def _on_the_day(session: InfusionSession, at: dt.datetime, step: str) -> None:
    day, today = _local_day(session.start), _local_day(at)
    if today != day:
        when = "was" if day < today else "is"
        raise InvalidTransition(
            f"This session {when} on {_fmt_day(day)}: a patient can be {step} only on the day "
            "of their session."
        )


def _write(session, action, fields, *, by, actor_label="", before, reason=""):
    session.save(update_fields=[*fields, "updated_at"])
    _audit(session, action, by=by, actor_label=actor_label, before=before, reason=reason)
    return session


@center_settings_scope
@retry_on_deadlock
@transaction.atomic
def confirm(
    *, session: InfusionSession, by=None, actor_label: str = "", at: dt.datetime | None = None
) -> InfusionSession:
    """The patient (from the link or by phone) confirms they will come. Only a booked session
    whose time has not passed; confirming twice changes nothing."""
    session = _lock_session(session)
    at = _when(session, at, on_day=False)
    if session.status == SessionStatus.CONFIRMED:
        return session
    if session.status != SessionStatus.BOOKED:
        raise InvalidTransition(f"This session is {_status(session)}; it cannot be confirmed.")
    if session.start <= at:
        raise InvalidTransition(
            f"This session's time ({_fmt_moment(session.start)}) has passed; it can no longer "
            "be confirmed."
        )
    before = snapshot(session)
    session.status = SessionStatus.CONFIRMED
    session.confirmed_at = at
    return _write(
        session,
        "confirmed",
        ["status", "confirmed_at"],
        by=by,
        actor_label=actor_label,
        before=before,
    )


@center_settings_scope
@retry_on_deadlock
@transaction.atomic
def check_in(
    *, session: InfusionSession, by=None, at: dt.datetime | None = None
) -> InfusionSession:
    """The patient has arrived: only on the session's local day, from the center's
    `check_in_opens_minutes` before the start. Checking in twice changes nothing."""
    session = _lock_session(session)
    at = _when(session, at)
    if session.status == SessionStatus.CHECKED_IN:
        return session
    if session.status not in _OPEN:
        raise InvalidTransition(f"This session is {_status(session)}; it cannot be checked in.")
    _on_the_day(session, at, "checked in")
    lead = dt.timedelta(minutes=CenterSettings.load().check_in_opens_minutes)
    opens = session.start - lead
    if at < opens:
        raise InvalidTransition(
            f"Check-in for this {session.start.astimezone(center_tz()):%H:%M} session opens at "
            f"{opens.astimezone(center_tz()):%H:%M}."
        )
    before = snapshot(session)
    session.status = SessionStatus.CHECKED_IN
    session.checked_in_at, session.checked_in_by = at, _user(by)
    return _write(
        session, "checked_in", ["status", "checked_in_at", "checked_in_by"], by=by, before=before
    )


@center_settings_scope
@retry_on_deadlock
@transaction.atomic
def seat(*, session: InfusionSession, by=None, at: dt.datetime | None = None) -> InfusionSession:
    """The patient is in the chair (premedication can start). Only after check-in."""
    session = _lock_session(session)
    at = _when(session, at)
    if session.status == SessionStatus.IN_CHAIR:
        return session
    if session.status != SessionStatus.CHECKED_IN:
        raise InvalidTransition(
            f"This session is {_status(session)}: check the patient in before seating them."
        )
    _on_the_day(session, at, "seated")
    _not_before(at, session.checked_in_at, "checked in")
    before = snapshot(session)
    session.status = SessionStatus.IN_CHAIR
    session.in_chair_at, session.in_chair_by = at, _user(by)
    return _write(session, "seated", ["status", "in_chair_at", "in_chair_by"], by=by, before=before)


def _red_each_dose_labs(session: InfusionSession):
    checklist = selectors.lab_checklist(session=session)
    return [i for i in checklist.items if i.gate == "each_dose" and i.status == "red"]


@center_settings_scope
@retry_on_deadlock
@transaction.atomic
def start_infusion(
    *,
    session: InfusionSession,
    by=None,
    at: dt.datetime | None = None,
    lab_acknowledgement: str = "",
) -> InfusionSession:
    """The infusion starts. Only after check-in (the patient is seated now if not yet), with
    the REMS check recorded for REMS drugs, and, when an "each dose" lab is red, with the
    nurse's acknowledgement (stored on the session and in the audit row)."""
    session = _lock_session(session)
    at = _when(session, at)
    if session.status == SessionStatus.IN_CHAIR and session.started_at is not None:
        return session
    if session.status not in (SessionStatus.CHECKED_IN, SessionStatus.IN_CHAIR):
        if session.status in _OPEN:
            raise InvalidTransition(
                "The patient has not been checked in: check them in before starting the infusion."
            )
        raise InvalidTransition(f"This session is {_status(session)}; the infusion cannot start.")
    _on_the_day(session, at, "started")
    _not_before(at, session.in_chair_at or session.checked_in_at, "arrived")
    if session.protocol.needs_rems and session.rems_checked_at is None:
        raise InvalidTransition(
            f"Record the {session.protocol.rems_program} check before starting the infusion.",
            field="rems",
        )
    acknowledgement = (lab_acknowledgement or "").strip()[:MAX_REASON]
    red = _red_each_dose_labs(session)
    if red and not acknowledgement:
        names = ", ".join(i.test_name for i in red)
        raise LabGateUnacknowledged(
            f"{names} for this dose {'is' if len(red) == 1 else 'are'} missing or out of date. "
            "Start only if you have checked it; say so in the acknowledgement.",
            conflicts=[{"rule": "lab", "resource": i.test_code, "detail": i.message} for i in red],
        )
    before = snapshot(session)
    fields = ["status", "started_at", "started_by"]
    if session.in_chair_at is None:
        session.in_chair_at, session.in_chair_by = at, _user(by)
        fields += ["in_chair_at", "in_chair_by"]
    session.status = SessionStatus.IN_CHAIR
    session.started_at, session.started_by = at, _user(by)
    reason = ""
    if red:
        session.start_lab_acknowledgement = acknowledgement
        fields.append("start_lab_acknowledgement")
        reason = "Started with red each-dose labs ({}): {}".format(
            ", ".join(i.test_code for i in red), acknowledgement
        )
    return _write(session, "started", fields, by=by, before=before, reason=reason)


@center_settings_scope
@retry_on_deadlock
@transaction.atomic
def end_infusion(
    *, session: InfusionSession, by=None, at: dt.datetime | None = None
) -> InfusionSession:
    """The infusion has run in; observation begins."""
    session = _lock_session(session)
    at = _when(session, at)
    if session.infusion_ended_at is not None and session.status == SessionStatus.IN_CHAIR:
        return session
    if session.status != SessionStatus.IN_CHAIR or session.started_at is None:
        raise InvalidTransition(
            f"This session is {_status(session)} and its infusion has not started; it cannot end."
        )
    _not_before(at, session.started_at, "started the infusion")
    before = snapshot(session)
    session.infusion_ended_at, session.infusion_ended_by = at, _user(by)
    return _write(
        session, "infusion_ended", ["infusion_ended_at", "infusion_ended_by"], by=by, before=before
    )


@center_settings_scope
@retry_on_deadlock
@transaction.atomic
def complete(
    *, session: InfusionSession, by=None, at: dt.datetime | None = None
) -> InfusionSession:
    """Infusion and observation done, the patient discharged; the chair goes to turnover.
    Only after the infusion started."""
    session = _lock_session(session)
    at = _when(session, at)
    if session.status == SessionStatus.COMPLETED:
        return session
    if session.status != SessionStatus.IN_CHAIR or session.started_at is None:
        raise InvalidTransition(
            f"This session is {_status(session)}: start the infusion before completing it."
        )
    _not_before(at, session.infusion_ended_at or session.started_at, "started the infusion")
    before = snapshot(session)
    session.status = SessionStatus.COMPLETED
    session.completed_at, session.completed_by = at, _user(by)
    return _write(
        session, "completed", ["status", "completed_at", "completed_by"], by=by, before=before
    )


@center_settings_scope
@retry_on_deadlock
@transaction.atomic
def mark_no_show(
    *, session: InfusionSession, by=None, at: dt.datetime | None = None
) -> InfusionSession:
    """The patient did not come: only once the start plus the center's grace period has
    passed. It may be charted later (the next morning), never before."""
    session = _lock_session(session)
    at = _when(session, at, on_day=False)
    if session.status == SessionStatus.NO_SHOW:
        return session
    if session.status not in _OPEN:
        raise InvalidTransition(f"This session is {_status(session)}; it cannot be a no-show.")
    grace = dt.timedelta(minutes=CenterSettings.load().no_show_grace_minutes)
    if at < session.start + grace:
        raise InvalidTransition(
            f"A patient can be marked no-show only from {_fmt_moment(session.start + grace)} "
            f"({grace.seconds // 60} minutes after the start)."
        )
    before = snapshot(session)
    session.status = SessionStatus.NO_SHOW
    session.no_show_at, session.no_show_by = at, _user(by)
    _write(session, "no_show", ["status", "no_show_at", "no_show_by"], by=by, before=before)
    outbox.cancel_reminders(session, reason="no show")
    return session


@center_settings_scope
@retry_on_deadlock
@transaction.atomic
def record_rems_check(
    *, session: InfusionSession, by, at: dt.datetime | None = None
) -> InfusionSession:
    """The nurse verified the patient's REMS authorization for this infusion: on the day of an
    open or running session."""
    session = _lock_session(session)
    if not session.protocol.needs_rems:
        raise SchedulingError(f"{session.protocol.brand_name} has no REMS program.", field="rems")
    at = _when(session, at)
    if session.rems_checked_at is not None:
        return session
    if session.status not in (*_OPEN, SessionStatus.CHECKED_IN, SessionStatus.IN_CHAIR):
        raise InvalidTransition(
            f"This session is {_status(session)}; there is nothing to REMS-check."
        )
    _on_the_day(session, at, "REMS-checked")
    before = snapshot(session)
    session.rems_checked_at, session.rems_checked_by = at, _user(by)
    return _write(
        session, "rems_checked", ["rems_checked_at", "rems_checked_by"], by=by, before=before
    )


# --- corrections --------------------------------------------------------------------------------

CORRECTIONS = {
    # correction: (the wrong state it undoes, what it clears)
    "no_show": (SessionStatus.NO_SHOW, ("no_show_at", "no_show_by")),
    "check_in": (SessionStatus.CHECKED_IN, ("checked_in_at", "checked_in_by")),
    "completion": (SessionStatus.COMPLETED, ("completed_at", "completed_by")),
}


@center_settings_scope
@retry_on_deadlock
@transaction.atomic
def correct_session(
    *, session: InfusionSession, correction: str, reason: str, by
) -> InfusionSession:
    """Undo a wrong no-show, check-in or completion, with a reason; only a charge nurse or a
    manager. The session goes back one step (a no-show or a check-in to booked or confirmed, a
    completion to in chair) and the audit row keeps the before, the after and the reason. An
    undone no-show holds its chair again, so a chair given away since is a 409."""
    if not roles_of(by) & CORRECTORS:
        raise NotPermitted("Only the charge nurse or a manager can correct the day's record.")
    if correction not in CORRECTIONS:
        raise SchedulingError(
            f"Unknown correction {correction!r}: say no_show, check_in or completion.",
            field="correction",
        )
    reason = (reason or "").strip()
    if not reason:
        raise SchedulingError("Say why the record is corrected.", field="reason")
    if len(reason) > MAX_REASON:
        raise SchedulingError(f"Keep the reason under {MAX_REASON} characters.", field="reason")
    wrong, cleared = CORRECTIONS[correction]
    session = _lock_session(session)
    if session.status != wrong:
        raise InvalidTransition(
            f"This session is {_status(session)}, not {wrong.label.lower()}: nothing to correct."
        )
    before = snapshot(session)
    if correction == "completion":
        session.status = SessionStatus.IN_CHAIR
    else:
        session.status = SessionStatus.CONFIRMED if session.confirmed_at else SessionStatus.BOOKED
    for name in cleared:
        setattr(session, name, None)
    if correction == "no_show":
        _save(session, create=False)  # active again: the exclusion constraints apply
        _audit(session, f"corrected_{correction}", by=by, before=before, reason=reason)
        return session
    return _write(
        session,
        f"corrected_{correction}",
        ["status", *cleared],
        by=by,
        before=before,
        reason=reason,
    )
