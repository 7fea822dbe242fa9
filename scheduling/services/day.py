"""The day of the infusion: confirm, check in, start, complete, no-show, REMS check."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from scheduling.exceptions import (
    InvalidTransition,
    SchedulingError,
)
from scheduling.models import (
    InfusionSession,
    SessionStatus,
    center_settings_scope,
)
from scheduling.notifications import outbox
from scheduling.services.common import (
    _audit,
    snapshot,
)

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
