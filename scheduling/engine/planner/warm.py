"""The warm start: the slot search placing requests one by one, least flexible first."""

from __future__ import annotations

from collections.abc import Sequence

from ..constraints import BusyIndex
from ..search import busy_from_placements, find_slots
from ..timeline import session_minutes
from ..types import SlotRequest
from .types import PlanRequest, PlanWorld, Proposal


def world_with(world: PlanWorld, proposals: Sequence[Proposal]) -> PlanWorld:
    """The world with ``proposals`` booked as well (fixed), for the slot search to place more
    around them."""
    busy = list(world.busy)
    for p in proposals:
        n = len(p.placements)
        # ids far below the warm start's own (-1, -2, ...), so the two never meet
        busy += busy_from_placements(p.placements, p.patient_id, -(10**6) - len(busy) - n)
    return PlanWorld(world.center, world.chairs, world.nurses, tuple(busy))


def slot_request(r: PlanRequest, horizon, now, limit: int = 1) -> SlotRequest | None:
    """The slot search's request for a planner request inside the horizon (None: no day of
    its window is in it)."""
    d0, d1 = r.date_from, r.date_to
    if horizon is not None:
        d0, d1 = max(d0, horizon[0]), min(d1, horizon[1])
    if d1 < d0:
        return None
    nb = max((x for x in (r.not_before, now) if x is not None), default=None)
    return SlotRequest(
        patient_id=r.patient_id,
        legs=r.legs,
        required_skill=r.required_skill,
        required_chair_kind=r.required_chair_kind,
        date_from=d0,
        date_to=d1,
        target_date=r.target_date,
        not_before=nb,
        limit=limit,
        availability=r.availability,
        preferred_minute=r.preferred(),
    )


def greedy_placements(world: PlanWorld, reqs: list[PlanRequest], horizon, now) -> dict:
    """Warm start: the slot search places requests one by one, least flexible first."""
    index = BusyIndex(world.busy)
    out = {}
    order = sorted(
        reqs,
        key=lambda r: (
            (r.date_to - r.date_from).days,
            -sum(session_minutes(leg.timing) for leg in r.legs),
        ),
    )
    sid = -1
    for r in order:
        sreq = slot_request(r, horizon, now)
        if sreq is None:
            continue
        slots = find_slots(
            center=world.center, chairs=world.chairs, nurses=world.nurses, busy=index, request=sreq
        )
        if not slots:
            continue
        out[r.id] = slots[0]
        placements = slots[0].placements
        for b in busy_from_placements(placements, r.patient_id, sid - len(placements) + 1):
            index.add(b)
        sid -= len(placements)
    return out
