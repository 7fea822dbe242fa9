"""The last repair of the solver's plan: rip up and place again.

After the exact chairs and nurses are assigned and the failures are placed again by the slot
search around the plan, a few requests may still have no slot (3 weeks of 734 due doses: 729
booked, 5 not, at 8 % less cost than the warm start's 734). The warm start did place each of
them, at a chair and nurse that the solver's plan has since given to others. So for each one:
take the warm start's slot, lift the proposals in its way (same chair or same nurse at an
overlapping time, or the same patient), check the slot against what is left, and place the
lifted requests again with the slot search around it. If every lifted request finds a place,
the change stands; otherwise the plan is left as it was. Everything placed is checked by the
slot search's own rules (``check_unit`` / ``find_slots``), so the plan stays valid.

Pure Python, no Django.
"""

from __future__ import annotations

import time as _time
from collections.abc import Callable, Sequence

from ..constraints import BusyIndex
from ..search import check_unit, find_slots
from .types import PlanRequest, PlanWorld, Proposal
from .warm import greedy_placements, slot_request, world_with

# how many other slots (beside the warm start's) a request still without one may try
CANDIDATES = 8


def _in_the_way(slot_placements, patient_id: int, p: Proposal) -> bool:
    """Whether proposal ``p`` holds the chair, the nurse or the patient of the slot at an
    overlapping time."""
    for x in slot_placements:
        xs, xe, xr = x.timeline.start, x.timeline.observation_end, x.timeline.chair_release_at
        for q in p.placements:
            qs, qe, qr = q.timeline.start, q.timeline.observation_end, q.timeline.chair_release_at
            if q.chair_id == x.chair_id and qs < xr and xs < qr:
                return True
            if q.nurse_id is not None and q.nurse_id == x.nurse_id and qs < xe and xs < qe:
                return True
            if p.patient_id == patient_id and qs < xe and xs < qe:
                return True
    return False


def rip_up_and_replace(
    world: PlanWorld,
    requests: Sequence[PlanRequest],
    proposals: list[Proposal],
    missing: Sequence[int],
    greedy: dict,
    *,
    horizon,
    now,
    deadline: float,
    to_proposal: Callable,
    depth: int = 1,
) -> tuple[list[Proposal], set[int]]:
    """Place the requests ``missing`` (ids) at their warm-start slot (``greedy[id]``) by
    lifting the proposals in its way and placing those again around it. Returns the new
    proposals and the ids still not placed; stops at ``deadline`` (``perf_counter``). A lifted
    request with no slot left is ripped up for in turn, ``depth`` levels down."""
    by_id = {r.id: r for r in requests}
    existing = BusyIndex(world.busy)
    still: set[int] = set()
    for rid in missing:
        r = by_id[rid]
        # its warm-start slot first, then other slots the existing bookings leave it
        sreq = slot_request(r, horizon, now, limit=CANDIDATES)
        others = (
            find_slots(
                center=world.center,
                chairs=world.chairs,
                nurses=world.nurses,
                busy=existing,
                request=sreq,
            )
            if sreq is not None
            else []
        )
        candidates = ([greedy[rid]] if rid in greedy else []) + list(others)
        done = None
        for g in candidates:
            if _time.perf_counter() > deadline:
                break
            done = _try(
                world, by_id, greedy, proposals, r, g, horizon, now, deadline, to_proposal, depth
            )
            if done is not None:
                break
        if done is None:
            still.add(rid)
        else:
            proposals = done
    return proposals, still


def _try(world, by_id, greedy, proposals, r, g, horizon, now, deadline, to_proposal, depth):
    """The plan with ``r`` at slot ``g`` and the proposals in its way placed again, or None."""
    lifted_ids = {p.request_id for p in proposals if _in_the_way(g.placements, r.patient_id, p)}
    kept = [p for p in proposals if p.request_id not in lifted_ids]
    if check_unit(
        center=world.center,
        chairs=world.chairs,
        nurses=world.nurses,
        busy=list(world_with(world, kept).busy),
        patient_id=r.patient_id,
        placements=g.placements,
        required_skill=r.required_skill,
        required_chair_kind=r.required_chair_kind,
    ):
        return None
    here = kept + [to_proposal(r, g)]
    again = [by_id[i] for i in lifted_ids]
    placed = greedy_placements(world_with(world, here), again, horizon, now)
    out = here + [to_proposal(x, placed[x.id]) for x in again if x.id in placed]
    left = [x.id for x in again if x.id not in placed]
    if left and depth > 0:
        out, left = rip_up_and_replace(
            world,
            list(by_id.values()),
            out,
            left,
            greedy,
            horizon=horizon,
            now=now,
            deadline=deadline,
            to_proposal=to_proposal,
            depth=depth - 1,
        )
    return None if left else out
