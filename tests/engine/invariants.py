"""Independent checker of DESIGN §4 rules 1-5, written separately from the engine.

It deliberately does not use scheduling.engine.constraints: it walks the schedule at a
5-minute resolution (all test times are multiples of 5 minutes) and counts occupancy, and
checks the per-session rules by brute force.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime

TICK = 300  # seconds


@dataclass(frozen=True)
class Rec:
    """One booked session as the checker sees it."""

    id: int
    patient_id: int
    chair_id: int
    nurse_id: int
    start: datetime
    observation_end: datetime
    chair_release_at: datetime
    required_skill: str | None = None
    required_chair_kind: str | None = None


def _e(dt: datetime) -> int:
    return int(dt.timestamp())


def check_schedule(center, chairs, nurses, recs: list[Rec]) -> list[str]:
    problems: list[str] = []
    turnover = center.turnover_minutes * 60
    stagger = center.stagger_minutes * 60
    if not recs:
        return problems
    for r in recs:
        s, e, rel = _e(r.start), _e(r.observation_end), _e(r.chair_release_at)
        for v in (s, e, rel):
            if v % TICK:
                problems.append(f"session {r.id}: time not on the 5-minute grid")
        if rel - e != turnover:
            problems.append(f"session {r.id}: chair release is not observation end + turnover")
        if not s < e:
            problems.append(f"session {r.id}: empty session")
        # rule 3: inside ONE open window
        if not any(_e(w.start) <= s and e <= _e(w.end) for w in center.open_windows):
            problems.append(f"hours: session {r.id} outside opening windows")
        nurse = nurses.get(r.nurse_id)
        chair = chairs.get(r.chair_id)
        if nurse is None or chair is None:
            problems.append(f"session {r.id}: unknown chair or nurse")
            continue
        # rule 4: on ONE shift
        if not any(_e(w.start) <= s and e <= _e(w.end) for w in nurse.shifts):
            problems.append(f"nurse_shift: session {r.id} nurse {nurse.id} off shift")
        # rule 5
        if r.required_skill is not None and r.required_skill not in nurse.skills:
            problems.append(f"skill: session {r.id} nurse {nurse.id} lacks {r.required_skill}")
        if r.required_chair_kind is not None and chair.kind != r.required_chair_kind:
            problems.append(f"chair_kind: session {r.id} chair {chair.id} is {chair.kind}")
    # stagger: brute force pairs per nurse
    by_nurse = defaultdict(list)
    for r in recs:
        by_nurse[r.nurse_id].append(r)
    for nid, rs in by_nurse.items():
        for i in range(len(rs)):
            for j in range(i + 1, len(rs)):
                if abs(_e(rs[i].start) - _e(rs[j].start)) < stagger:
                    problems.append(
                        f"stagger: nurse {nid} starts sessions {rs[i].id} and {rs[j].id} too close"
                    )
    # occupancy walk at 5-minute resolution (only ticks some session covers)
    chair_at = defaultdict(list)
    patient_at = defaultdict(list)
    nurse_at = defaultdict(list)
    for r in recs:
        s, e, rel = _e(r.start), _e(r.observation_end), _e(r.chair_release_at)
        for t in range(s - s % TICK, rel, TICK):
            if s <= t < rel:
                chair_at[(r.chair_id, t)].append(r.id)
            if s <= t < e:
                patient_at[(r.patient_id, t)].append(r.id)
                nurse_at[(r.nurse_id, t)].append(r.id)
    for (cid, t), ids in chair_at.items():
        if len(ids) > 1:
            problems.append(f"chair: chair {cid} double-booked by {ids} at {t}")
    for (pid, t), ids in patient_at.items():
        if len(ids) > 1:
            problems.append(f"patient: patient {pid} in {ids} at {t}")
    for (nid, t), ids in nurse_at.items():
        if nid in nurses and len(ids) > nurses[nid].max_concurrent:
            problems.append(f"nurse_capacity: nurse {nid} has {ids} at {t}")
    return problems
