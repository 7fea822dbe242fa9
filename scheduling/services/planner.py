"""The due-pipeline planner: run it over a horizon, book or send its proposals.

start_plan records a PlanRun and queues the solve (Celery, with progress); execute_plan is the
task's body: one CP-SAT solve (scheduling/engine/planner/) over every patient due and not
booked, existing bookings fixed, then one PlanProposal per due dose. book_proposal books one
proposal through the booking service; a proposal whose slot someone else took raises
BookingConflict (409) after its row was refreshed with a new slot (fresh proposals for the
coordinator). send_proposal offers it to the patient by a signed link instead.

Lock order inside book_proposal: the patient, then the proposal row, then what the booking
service locks (sessions, chairs, nurses by id).
"""

from __future__ import annotations

import datetime as dt
import logging

from django.db import transaction
from django.utils import timezone

from patients.models import Patient
from scheduling import engine
from scheduling.engine import planner as eplanner
from scheduling.exceptions import BookingConflict, SchedulingError
from scheduling.models import (
    AuditEvent,
    CenterSettings,
    PlanProposal,
    PlanRun,
    PlanRunStatus,
    ProposalStatus,
    Protocol,
)
from scheduling.planning.plan import due_requests, plan_world
from scheduling.world import center_tz

log = logging.getLogger(__name__)

OPEN = (ProposalStatus.PROPOSED, ProposalStatus.SENT)
MAX_HORIZON_DAYS = 42


def _user(by):
    return by if getattr(by, "is_authenticated", False) else None


def start_plan(
    *, date_from: dt.date, date_to: dt.date, by=None, time_limit: int | None = None, run_now=False
) -> PlanRun:
    """Record a planner run over [date_from, date_to] and queue the solve after commit
    (run_now=True solves in this process, e.g. the embedded run and tests)."""
    from scheduling.forms import center_today

    today = center_today()
    if date_to < date_from:
        raise SchedulingError("The horizon ends before it starts.", field="date_to")
    if date_from < today:
        raise SchedulingError("Plan from today on.", field="date_from")
    if (date_to - date_from).days + 1 > MAX_HORIZON_DAYS:
        raise SchedulingError(f"Plan at most {MAX_HORIZON_DAYS} days at once.", field="date_to")
    center = CenterSettings.load()
    limit = time_limit or center.planner_time_limit_seconds
    if not 1 <= limit <= 600:
        raise SchedulingError("The time limit is 1 to 600 seconds.", field="time_limit")
    run = PlanRun.objects.create(
        date_from=date_from,
        date_to=date_to,
        created_by=_user(by),
        stats={"time_limit": limit},
        message="Waiting for the planner.",
    )
    if run_now:
        execute_plan(run_id=run.pk)
        run.refresh_from_db()
    else:
        from scheduling.tasks import run_planner

        transaction.on_commit(lambda: run_planner.delay(run.pk))
    return run


def _progress(run_id: int, progress: int, message: str, **fields) -> None:
    PlanRun.objects.filter(pk=run_id).update(progress=progress, message=message[:300], **fields)


def execute_plan(*, run_id: int) -> PlanRun:
    """The planner task's body: load, solve once, store every proposal. Idempotent: a run
    already done (a redelivered task) is left as it is."""
    run = PlanRun.objects.get(pk=run_id)
    if run.status in (PlanRunStatus.DONE, PlanRunStatus.FAILED):
        return run
    now = timezone.now()
    _progress(run_id, 5, "Reading the due worklist.", status=PlanRunStatus.RUNNING, started_at=now)
    try:
        from scheduling.forms import center_today

        today = center_today()
        requests = due_requests(date_from=run.date_from, date_to=run.date_to, today=today, now=now)
        span = max((leg.day_offset for r in requests for leg in r.request.legs), default=0)
        world, pworld = plan_world(date_from=run.date_from, date_to=run.date_to, span_days=span)
        _progress(run_id, 20, f"Planning {len(requests)} due doses.")
        limit = float(run.stats.get("time_limit") or 30)
        result = eplanner.plan(
            world=pworld,
            requests=[r.request for r in requests],
            horizon=(run.date_from, run.date_to + dt.timedelta(days=span)),
            time_limit=limit,
            workers=2,
            now=now,
        )
        _progress(run_id, 90, "Saving the proposals.")
        by_key = {r.key: r for r in requests}
        rows = []
        for p in result.proposals:
            r = by_key[p.request_id]
            first = p.placements[0]
            rows.append(
                PlanProposal(
                    run=run,
                    patient_id=r.patient_id,
                    protocol=r.protocol,
                    dose_number=r.dose_number,
                    option=r.option,
                    due_date=r.due_date,
                    window_start=r.window_start,
                    window_end=r.window_end,
                    start=p.start,
                    observation_end=p.placements[-1].timeline.observation_end,
                    chair_id=first.chair_id,
                    nurse_id=first.nurse_id,
                    in_window=p.wish_misses == 0,
                    minutes_from_preferred=p.minutes_from_preferred,
                    days_from_due=p.days_from_target,
                    reason="needs override: the dose window has passed" if r.needs_override else "",
                )
            )
        for u in result.unplaced:
            r = by_key[u.request_id]
            rows.append(
                PlanProposal(
                    run=run,
                    patient_id=r.patient_id,
                    protocol=r.protocol,
                    dose_number=r.dose_number,
                    option=r.option,
                    due_date=r.due_date,
                    window_start=r.window_start,
                    window_end=r.window_end,
                    status=ProposalStatus.UNPLACED,
                    reason=(u.reason or "No slot in the horizon.")[:300],
                )
            )
        with transaction.atomic():
            PlanProposal.objects.bulk_create(rows)
            stats = {
                **run.stats,
                **{k: v for k, v in (result.stats or {}).items() if _jsonable(v)},
                "status": result.status,
                "objective": result.objective,
                "bound": result.bound,
                "solve_seconds": round(result.solve_seconds, 2),
                "requests": len(requests),
                "proposed": len(result.proposals),
                "unplaced": len(result.unplaced),
            }
            PlanRun.objects.filter(pk=run_id).update(
                status=PlanRunStatus.DONE,
                progress=100,
                message=f"{len(result.proposals)} of {len(requests)} due doses placed.",
                stats=stats,
                finished_at=timezone.now(),
            )
    except Exception as exc:  # the page must say what happened, never spin forever
        log.exception("planner run %s failed", run_id)
        PlanRun.objects.filter(pk=run_id).update(
            status=PlanRunStatus.FAILED,
            message=f"The planner stopped: {exc}"[:300],
            finished_at=timezone.now(),
        )
    return PlanRun.objects.get(pk=run_id)


def _jsonable(v) -> bool:
    return isinstance(v, int | float | str | bool) or v is None


def _refresh(proposal: PlanProposal) -> PlanProposal:
    """A new slot for a proposal whose slot was taken: the slot search with the patient's
    availability over the same window (the planner's answer for one request). Marks it
    unplaced when nothing is left."""
    from scheduling.selectors import availability

    patient = Patient.objects.get(pk=proposal.patient_id)
    today = timezone.now().astimezone(center_tz()).date()
    lo = max(today, proposal.window_start or today, proposal.run.date_from)
    hi = max(lo, min(proposal.window_end or proposal.run.date_to, proposal.run.date_to))
    if proposal.reason.startswith("needs override"):
        hi = proposal.run.date_to
    try:
        slots = availability(
            patient=patient,
            protocol=proposal.protocol,
            dose_number=proposal.dose_number,
            date_from=lo,
            date_to=hi,
            limit=1,
            option=proposal.option,
            series=_is_series(proposal),
        )
    except (SchedulingError, ValueError):
        slots = []
    if not slots:
        proposal.status = ProposalStatus.UNPLACED
        proposal.start = proposal.observation_end = None
        proposal.chair_id = proposal.nurse_id = None
        proposal.reason = "The slot was taken and nothing else is free in the window."
    else:
        s = slots[0]
        proposal.status = ProposalStatus.PROPOSED
        proposal.start = s.start
        proposal.observation_end = s.placements[-1].timeline.observation_end
        proposal.chair_id = s.placements[0].chair_id
        proposal.nurse_id = s.placements[0].nurse_id
        pm = patient.preferred_minute
        local = s.start.astimezone(center_tz())
        proposal.minutes_from_preferred = (
            0 if pm is None else abs(local.hour * 60 + local.minute - pm)
        )
        proposal.days_from_due = (
            abs((local.date() - proposal.due_date).days) if proposal.due_date else 0
        )
        proposal.in_window = s.score_parts.get("wishes", 0) == 0
    proposal.sent_at = proposal.send_due_at = None
    proposal.save()
    return proposal


def _is_series(proposal: PlanProposal) -> bool:
    from scheduling.world import dose_rule_specs

    try:
        legs = engine.series_legs(
            dose_rule_specs(proposal.protocol), proposal.dose_number, proposal.option, None
        )
    except ValueError:
        return False
    return len(legs) > 1


def book_proposal(
    *,
    proposal: PlanProposal,
    by=None,
    actor_label: str = "",
    override_reason: str = "",
    accepted: bool = False,
    expected_start: dt.datetime | None = None,
) -> PlanProposal:
    """Book one proposal through the booking service (series and all), or raise.

    BookingConflict (409) when its slot was taken meanwhile or it was already booked by
    someone else: the proposal then carries a fresh slot (or is marked unplaced) for the
    coordinator to look at again; also when `expected_start` (the time the coordinator saw)
    is no longer the proposal's. SchedulingError (400) for what the coordinator must fix
    (e.g. an overdue dose without an override reason)."""
    from scheduling import services

    try:
        with transaction.atomic():
            return _book_locked(
                proposal=proposal,
                by=by,
                actor_label=actor_label,
                override_reason=override_reason,
                accepted=accepted,
                expected_start=expected_start,
                services=services,
            )
    except BookingConflict as exc:
        if getattr(exc, "proposal_settled", False) or exc.code != "conflict":
            # Settled already, or in the way is not the slot (no active order, no
            # authorization left, ...): a new slot would not help, the proposal stays as it is.
            raise
        with transaction.atomic():
            fresh = (
                PlanProposal.objects.select_for_update()
                .select_related("run", "protocol")
                .get(pk=proposal.pk)
            )
            if fresh.status in OPEN:
                _refresh(fresh)
        exc.proposal = PlanProposal.objects.get(pk=proposal.pk)
        raise


def _book_locked(*, proposal, by, actor_label, override_reason, accepted, expected_start, services):
    patient = Patient.objects.select_for_update().get(pk=proposal.patient_id)
    p = (
        PlanProposal.objects.select_for_update(of=("self",))
        .select_related("protocol", "run")
        .get(pk=proposal.pk)
    )
    if p.status not in OPEN:
        exc = BookingConflict(
            f"This proposal is already {p.get_status_display().lower()}.",
            conflicts=[{"rule": "state", "resource": f"proposal:{p.pk}", "detail": p.status}],
            code="state",
        )
        exc.proposal_settled = True
        raise exc
    if expected_start is not None and p.start != expected_start:
        # The coordinator saw an older slot of this proposal (refreshed since): show the new one.
        exc = BookingConflict(
            "This proposal has a new slot since you looked; check it and book again.",
            conflicts=[{"rule": "state", "resource": f"proposal:{p.pk}", "detail": "refreshed"}],
            code="state",
        )
        exc.proposal_settled = True
        raise exc
    reason = override_reason.strip()
    if p.reason.startswith("needs override") and not reason:
        raise SchedulingError(
            "This dose is past its window: give an override reason to book it.",
            field="override_reason",
        )
    protocol: Protocol = p.protocol
    if _is_series(p):
        series = services.book_series(
            patient=patient,
            protocol=protocol,
            start=p.start,
            by=by,
            first_dose=p.dose_number,
            option=p.option,
            override_reason=reason,
        )
        session = series.sessions.order_by("start").first()
    else:
        session = services.book_session(
            patient=patient,
            protocol=protocol,
            dose_number=p.dose_number,
            start=p.start,
            by=by,
            chair=p.chair,
            nurse=p.nurse,
            option=p.option,
            override_reason=reason,
        )
    p.status = ProposalStatus.ACCEPTED if accepted else ProposalStatus.BOOKED
    p.session = session
    p.decided_at = timezone.now()
    p.decided_by = _user(by)
    p.save(update_fields=["status", "session", "decided_at", "decided_by"])
    AuditEvent.objects.create(
        session=session,
        series=session.series,
        action="planner_booked" if not accepted else "planner_accepted",
        actor=_user(by),
        actor_label=actor_label or ("" if by else "system"),
        after={"proposal_id": p.pk, "run_id": p.run_id},
        reason=reason,
    )
    return p


@transaction.atomic
def send_proposal(*, proposal: PlanProposal, by=None) -> PlanProposal:
    """Offer a proposal to the patient: a text and/or email with a signed link to accept or
    decline it (sent by the outbox task at the next allowed hour). Nothing is held: if the
    slot is gone when the patient answers, the link page says so and the coordinator gets a
    fresh proposal."""
    from scheduling.notifications.quiet import next_send_time

    p = PlanProposal.objects.select_for_update().select_related("patient").get(pk=proposal.pk)
    if p.status != ProposalStatus.PROPOSED:
        raise BookingConflict(
            f"This proposal is {p.get_status_display().lower()}.",
            conflicts=[{"rule": "state", "resource": f"proposal:{p.pk}", "detail": p.status}],
        )
    patient = p.patient
    channels = [c for c, ok in (("sms", patient.can_text), ("email", patient.can_email)) if ok]
    if not channels:
        raise SchedulingError(
            "The patient cannot be reached by text or email; book it by phone.", field="send"
        )
    center = CenterSettings.load()
    now = timezone.now()
    p.status = ProposalStatus.SENT
    p.offer_channels = ",".join(channels)
    p.send_due_at = next_send_time(
        now, center_tz(), center.quiet_hours_start, center.quiet_hours_end
    )
    p.decided_by = _user(by)
    p.save(update_fields=["status", "offer_channels", "send_due_at", "decided_by"])
    AuditEvent.objects.create(
        action="planner_sent",
        actor=_user(by),
        actor_label="" if by else "system",
        after={"proposal_id": p.pk, "patient_id": p.patient_id, "channels": channels},
    )
    return p


@transaction.atomic
def decline_proposal(*, proposal: PlanProposal, actor_label: str = "patient link") -> PlanProposal:
    """The patient said no: the coordinator will call."""
    p = PlanProposal.objects.select_for_update().get(pk=proposal.pk)
    if p.status != ProposalStatus.SENT:
        raise BookingConflict(
            f"This offer is {p.get_status_display().lower()}.",
            conflicts=[{"rule": "state", "resource": f"proposal:{p.pk}", "detail": p.status}],
        )
    p.status = ProposalStatus.DECLINED
    p.decided_at = timezone.now()
    p.save(update_fields=["status", "decided_at"])
    AuditEvent.objects.create(
        action="planner_declined",
        actor_label=actor_label,
        after={"proposal_id": p.pk, "patient_id": p.patient_id},
    )
    return p
