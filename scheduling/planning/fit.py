"""Fit-me-in proposals: the day's sessions as the engine sees them, and its repack explained.

propose_fit reads; it never writes. services.fitmein.apply_fit applies a proposal.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.core import signing
from django.utils import timezone

from patients.availability import availability_for
from patients.models import Patient
from scheduling import engine
from scheduling.engine import fitmein as efit
from scheduling.models import (
    ACTIVE_STATUSES,
    CenterSettings,
    InfusionSession,
    Protocol,
    SessionStatus,
)
from scheduling.world import day_bounds, dose_rule_specs, load_world

SIGN_SALT = "scheduling.fitmein"
STARTED = (SessionStatus.CHECKED_IN, SessionStatus.IN_CHAIR)


@dataclass(frozen=True)
class MoveRow:
    """One change to a booked session, in the coordinator's words."""

    session: InfusionSession
    move: efit.Move
    chair_before: str
    chair_after: str
    nurse_before: str
    nurse_after: str


@dataclass(frozen=True)
class FitPlan:
    day: dt.date
    placement: engine.Placement
    moves: tuple[MoveRow, ...]
    shift_allowed: bool
    solve_seconds: float
    token: str  # signed: what apply_fit is asked to do, exactly as shown

    @property
    def time_changes(self) -> int:
        return sum(1 for m in self.moves if m.move.time_changed)


def day_sessions(day: dt.date, tz, *, now: dt.datetime) -> list[efit.DaySession]:
    """Every active session of the center-local `day` with what it needs (skill, chair kind)
    and whether it may move (not started; confirmed ones never shift in time)."""
    a, b = day_bounds(day, tz)
    rows = (
        InfusionSession.objects.filter(
            status__in=ACTIVE_STATUSES, start__lt=b, chair_release_at__gt=a
        )
        .select_related("protocol")
        .order_by("pk")
    )
    out = []
    for s in rows:
        out.append(
            efit.DaySession(
                session=engine.BusySession(
                    s.pk,
                    s.patient_id,
                    s.chair_id,
                    s.nurse_id,
                    s.start,
                    s.observation_end,
                    s.chair_release_at,
                ),
                required_skill=s.protocol.required_skill or None,
                required_chair_kind=s.protocol.required_chair_kind or None,
                started=s.status in STARTED or s.start <= now,
                confirmed=s.status == SessionStatus.CONFIRMED,
            )
        )
    return out


def propose_fit(
    *,
    patient: Patient,
    protocol: Protocol,
    dose_number: int,
    day: dt.date,
    option: str = "standard",
    allow_shift: bool = False,
    time_limit: float = 3.0,
) -> FitPlan | None:
    """A repack of `day` that makes room for one dose, or None when even that cannot.

    Without allow_shift no patient's time changes: only chairs and nurses of sessions that
    have not started are reassigned. With it, unconfirmed sessions may move by at most the
    center's fitmein_max_shift_minutes."""
    center_row = CenterSettings.load()
    specs = dose_rule_specs(protocol)
    rule = engine.rule_for(specs, dose_number, option)
    world = load_world(date_from=day, date_to=day)
    now = timezone.now()
    request = engine.SlotRequest(
        patient_id=patient.pk,
        legs=(engine.Leg(dose_number=dose_number, day_offset=0, timing=rule.timing),),
        required_skill=protocol.required_skill or None,
        required_chair_kind=protocol.required_chair_kind or None,
        date_from=day,
        date_to=day,
        target_date=day,
        not_before=now,
        limit=1,
        availability=availability_for(patient),
        preferred_minute=patient.preferred_minute,
    )
    sessions = day_sessions(day, world.tz, now=now)
    shift = center_row.fitmein_max_shift_minutes if allow_shift else 0
    result = efit.fit_me_in(
        center=world.center,
        chairs=world.chairs,
        nurses=world.nurses,
        day_sessions=sessions,
        request=request,
        day=day,
        shift_minutes=shift,
        time_limit=time_limit,
        workers=2,
    )
    if result is None or not result.placements:
        return None
    placement = result.placements[0]
    ids = [m.session_id for m in result.moves]
    by_id = InfusionSession.objects.select_related("patient", "protocol", "chair", "nurse").in_bulk(
        ids
    )
    rows = []
    for m in result.moves:
        s = by_id[m.session_id]
        rows.append(
            MoveRow(
                session=s,
                move=m,
                chair_before=world.chairs[m.chair_before].name
                if m.chair_before in world.chairs
                else "?",
                chair_after=world.chairs[m.chair_after].name
                if m.chair_after in world.chairs
                else "?",
                nurse_before=world.nurses[m.nurse_before].name
                if m.nurse_before in world.nurses
                else "—",
                nurse_after=world.nurses[m.nurse_after].name
                if m.nurse_after in world.nurses
                else "?",
            )
        )
    token = sign_plan(
        patient_id=patient.pk,
        protocol_code=protocol.code,
        dose_number=dose_number,
        option=option,
        placement=placement,
        moves=result.moves,
        allow_shift=allow_shift,
    )
    return FitPlan(day, placement, tuple(rows), allow_shift, result.solve_seconds, token)


def sign_plan(*, patient_id, protocol_code, dose_number, option, placement, moves, allow_shift):
    """The proposal as shown, signed, so what is applied is exactly what the coordinator saw."""
    return signing.dumps(
        {
            "patient": patient_id,
            "protocol": protocol_code,
            "dose": dose_number,
            "option": option,
            "start": placement.timeline.start.isoformat(),
            "chair": placement.chair_id,
            "nurse": placement.nurse_id,
            "shift": bool(allow_shift),
            "moves": [
                [
                    m.session_id,
                    m.chair_before,
                    m.chair_after,
                    m.nurse_before,
                    m.nurse_after,
                    m.start_before.isoformat(),
                    m.start_after.isoformat(),
                ]
                for m in moves
            ],
        },
        salt=SIGN_SALT,
        compress=True,
    )


def read_plan(token: str, *, max_age: int = 30 * 60) -> dict:
    """The signed proposal back; signing.BadSignature (also when older than 30 minutes)."""
    data = signing.loads(token, salt=SIGN_SALT, max_age=max_age)
    data["start"] = dt.datetime.fromisoformat(data["start"])
    data["moves"] = [
        efit.Move(
            int(sid),
            int(cb),
            int(ca),
            None if nb is None else int(nb),
            int(na),
            dt.datetime.fromisoformat(sb),
            dt.datetime.fromisoformat(sa),
        )
        for sid, cb, ca, nb, na, sb, sa in data["moves"]
    ]
    return data
