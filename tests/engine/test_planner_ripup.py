"""The planner's last repair (scheduling/engine/planner/ripup.py): a request left without a
slot gets one by lifting the proposals in its way and placing them again, only when all of
them find a place; the plan stays valid either way."""

import time

from scheduling.engine import (
    AvailabilityWindow,
    PatientAvailability,
    PlanWorld,
    Proposal,
    find_slots,
)
from scheduling.engine.planner.ripup import rip_up_and_replace
from scheduling.engine.planner.warm import slot_request

from .helpers import T120, D, at, center, chairs, nurses, place
from .invariants import Rec, check_schedule
from .test_planner import req

NINE_TO_ELEVEN = PatientAvailability((AvailabilityWindow(frozenset(range(7)), 9 * 60, 11 * 60),))


def as_proposal(r, slot):
    return Proposal(r.id, r.patient_id, slot.start, slot.placements, 0, 0, 0)


def slot_for(w, r):
    (s,) = find_slots(
        center=w.center,
        chairs=w.chairs,
        nurses=w.nurses,
        busy=list(w.busy),
        request=slot_request(r, None, None, limit=1),
    )
    return s


def recs(proposals):
    return [
        Rec(
            10_000 + i,
            p.patient_id,
            pl.chair_id,
            pl.nurse_id,
            pl.timeline.start,
            pl.timeline.observation_end,
            pl.timeline.chair_release_at,
        )
        for i, p in enumerate(proposals)
        for pl in p.placements
    ]


def run(w, reqs, proposals, missing):
    greedy = {r.id: slot_for(w, r) for r in reqs if r.id in missing}
    return rip_up_and_replace(
        w,
        reqs,
        proposals,
        missing,
        greedy,
        horizon=None,
        now=None,
        deadline=time.perf_counter() + 10,
        to_proposal=as_proposal,
    )


def one_chair_world():
    return PlanWorld(center(), chairs("recliner"), nurses(1), ())


def test_a_request_that_can_only_come_at_nine_gets_the_chair_and_the_other_moves():
    w = one_chair_world()
    anytime = req(1, timing=T120, d_to=D)
    nine_only = req(2, timing=T120, d_to=D, availability=NINE_TO_ELEVEN)
    # the plan gave the one chair at 09:00 to the patient who could come any time
    plan = [Proposal(1, anytime.patient_id, at(D, 9), (place(at(D, 9), timing=T120),), 0, 0, 0)]
    proposals, still = run(w, [anytime, nine_only], plan, [2])
    assert still == set()
    got = {p.request_id: p for p in proposals}
    assert got[2].start == at(D, 9)
    assert got[1].start != at(D, 9)  # moved, not dropped
    assert check_schedule(w.center, w.chairs, w.nurses, recs(proposals)) == []


def test_nothing_changes_when_the_one_in_the_way_cannot_move():
    w = one_chair_world()
    first = req(1, timing=T120, d_to=D, availability=NINE_TO_ELEVEN)
    second = req(2, timing=T120, d_to=D, availability=NINE_TO_ELEVEN)
    plan = [Proposal(1, first.patient_id, at(D, 9), (place(at(D, 9), timing=T120),), 0, 0, 0)]
    proposals, still = run(w, [first, second], plan, [2])
    assert still == {2}
    assert proposals == plan
