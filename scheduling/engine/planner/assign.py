"""Exact chairs and nurses for the times the solver chose, day by day."""

from __future__ import annotations

import time as _time
from collections import defaultdict
from datetime import date, timedelta

from ..constraints import BusyIndex, Context, from_ts, ts
from ..fitmein import _Item, solve_day
from ..timeline import build_timeline, session_minutes
from ..types import BusySession, Placement
from .days import Days
from .types import PlanWorld, Proposal, Unplaced


def assign(world: PlanWorld, reqs, chosen, days: Days, deadline: float):
    """Chairs and nurses for the chosen (day, minute) of each request, day by day.

    Chairs first (times are fixed, so this is interval colouring: best-fit in start order,
    scarce chair kinds kept for those who need them; a CP-SAT chair assignment if that
    fails), then nurses (in start order, the valid nurse with the fewest skills this session
    does not need, then the least loaded; a CP-SAT nurse assignment balancing the load if
    that fails)."""
    center, chairs, nurses = world.center, world.chairs, world.nurses
    tz = days.tz
    turnover = center.turnover_minutes * 60
    by_id = {r.id: r for r in reqs}
    legs_by_day: dict[date, list] = defaultdict(list)
    kind_of = {rid: k for rid, (_d, _m, k) in chosen.items()}
    for rid, (d, mm, _k) in chosen.items():
        r = by_id[rid]
        for li, leg in enumerate(r.legs):
            ld = d + timedelta(days=leg.day_offset)
            legs_by_day[ld].append((rid, li, days.zero(ld) + mm * 60))
    busy_by_day: dict[date, list[BusySession]] = defaultdict(list)
    for b in world.busy:
        busy_by_day[from_ts(ts(b.start), tz).date()].append(b)
    by_kind: dict[str, int] = defaultdict(int)
    for c in chairs.values():
        by_kind[c.kind] += 1
    common = max(by_kind.values(), default=0)
    wanted = {r.required_skill for r in reqs if r.required_skill}
    placed: dict = defaultdict(dict)
    failed: set = set()
    for d in sorted(legs_by_day):
        items = sorted(legs_by_day[d], key=lambda x: x[2])
        existing = busy_by_day.get(d, [])
        legs = []
        for rid, li, st in items:
            r = by_id[rid]
            om = session_minutes(r.legs[li].timing) * 60
            legs.append((rid, li, st, st + om, st + om + turnover, r))
        # --- chairs
        index = BusyIndex(existing)
        chair_of: dict[tuple, int] = {}
        for rid, li, st, _e, rel_, r in legs:
            best = None
            want = kind_of.get(rid) or r.required_chair_kind
            for c in chairs.values():
                if want and c.kind != want:
                    continue
                if index.chair_clash(c.id, st, rel_) is not None:
                    continue
                t = index.chair.get(c.id)
                pe = t.prev_end(st) if t is not None else -(1 << 62)
                gap = st - pe if pe > -(1 << 61) else 1 << 40
                spare = int(not r.required_chair_kind and by_kind[c.kind] < common)
                key = (spare, gap, c.id)
                if best is None or key < best:
                    best = key
            if best is None:
                continue  # the CP-SAT assignment below tries again
            chair_of[(rid, li)] = best[-1]
            index.add(
                BusySession(
                    -1,
                    r.patient_id,
                    best[-1],
                    None,
                    from_ts(st, tz),
                    from_ts(_e, tz),
                    from_ts(rel_, tz),
                )
            )
        if len(chair_of) != len(legs):
            exact = _cp_chairs(center, chairs, nurses, existing, legs, _left(deadline), kind_of)
            if exact is not None:
                chair_of = exact
            else:
                # keep what the greedy pass placed; only the rest are left out
                failed.update(rid for rid, li, *_ in legs if (rid, li) not in chair_of)
                legs = [x for x in legs if (x[0], x[1]) in chair_of]
        # --- nurses
        index = BusyIndex(existing)
        ctx = Context(center, chairs, nurses, index)
        counts: dict[int, int] = defaultdict(int)
        for b in existing:
            if b.nurse_id is not None:
                counts[b.nurse_id] += 1
        nurse_of: dict[tuple, int] = {}
        for rid, li, st, e, rel_, r in legs:
            need = r.required_skill
            choice = None

            def room(n, st=st, e=e, index=index):
                t = index.nurse.get(n.id)
                return len(t.overlapping(st, e)) if t is not None else 0

            # most room first (fewest patients during this stay), then the nurse whose
            # skills are least needed elsewhere, then the lightest day
            for n in sorted(
                nurses.values(),
                key=lambda n: (room(n), len((n.skills & wanted) - {need}), counts[n.id], n.id),
            ):
                if need and need not in n.skills:
                    continue
                if ctx.nurse_ok(n, st, e):
                    choice = n.id
                    break
            if choice is None:
                continue
            nurse_of[(rid, li)] = choice
            counts[choice] += 1
            index.add(
                BusySession(
                    -1,
                    r.patient_id,
                    chair_of[(rid, li)],
                    choice,
                    from_ts(st, tz),
                    from_ts(e, tz),
                    from_ts(rel_, tz),
                )
            )
        if len(nurse_of) != len(legs):
            exact = _cp_nurses(center, chairs, nurses, existing, legs, chair_of, _left(deadline))
            if exact is not None:
                nurse_of = exact
            else:
                failed.update(rid for rid, li, *_ in legs if (rid, li) not in nurse_of)
                legs = [x for x in legs if (x[0], x[1]) in nurse_of]
        for rid, li, st, *_ in legs:
            placed[rid][li] = (chair_of[(rid, li)], nurse_of[(rid, li)], st)
    proposals, unplaced = [], []
    for rid, (d, _mm, _k) in chosen.items():
        r = by_id[rid]
        if rid in failed or len(placed[rid]) != len(r.legs):
            unplaced.append(Unplaced(rid, "no chair or nurse could be assigned on that day"))
            continue
        pls = []
        for li, leg in enumerate(r.legs):
            c, n, s = placed[rid][li]
            pls.append(
                Placement(
                    leg.dose_number,
                    c,
                    n,
                    build_timeline(from_ts(s, tz), leg.timing, center.turnover_minutes),
                )
            )
        first = pls[0].timeline
        pref = r.preferred()
        lm = first.start.astimezone(tz)
        lmin = lm.hour * 60 + lm.minute
        av = r.availability
        proposals.append(
            Proposal(
                rid,
                r.patient_id,
                first.start,
                tuple(pls),
                abs(lmin - pref) if pref is not None else 0,
                abs((d - r.target_date).days) if r.target_date else 0,
                av.wish_misses(lm, first.observation_end.astimezone(tz)) if av else 0,
            )
        )
    return proposals, unplaced


def _left(deadline: float) -> float:
    """Time for one fallback assignment: what is left of the plan's limit (0.2 s to 3 s:
    the greedy assignment nearly always succeeds, so this is rare)."""
    return max(0.2, min(3.0, deadline - _time.perf_counter()))


def _fixed_items(existing, with_nurses: bool) -> list[_Item]:
    return [
        _Item(
            b.id,
            b.patient_id,
            [ts(b.start)],
            ts(b.start),
            ts(b.observation_end) - ts(b.start),
            ts(b.chair_release_at) - ts(b.start),
            [b.chair_id],
            [b.nurse_id] if with_nurses and b.nurse_id is not None else [],
            b.chair_id,
            b.nurse_id if with_nurses else None,
        )
        for b in existing
    ]


def _cp_chairs(center, chairs, nurses, existing, legs, limit, kind_of):
    """Chairs for fixed-time legs by CP-SAT (nurses left out: they are assigned next)."""
    items = _fixed_items(existing, False)
    keys = {}
    for k, (rid, li, st, e, rel_, r) in enumerate(legs):
        want = kind_of.get(rid) or r.required_chair_kind
        cs = [c.id for c in chairs.values() if not want or c.kind == want]
        if not cs:
            return None
        key = -(10**9) - k
        keys[key] = (rid, li)
        items.append(_Item(key, r.patient_id, [st], None, e - st, rel_ - st, cs, [], None, None))
    sol, _ = solve_day(center=center, chairs=chairs, nurses=nurses, items=items, time_limit=limit)
    if sol is None:
        return None
    return {keys[k]: sol[k][1] for k in keys}


def _cp_nurses(center, chairs, nurses, existing, legs, chair_of, limit):
    """Nurses for fixed-time legs on their chairs by CP-SAT, balancing the load."""
    ctx = Context(center, chairs, nurses, BusyIndex())
    items = _fixed_items(existing, True)
    keys = {}
    for k, (rid, li, st, e, rel_, r) in enumerate(legs):
        ns = [
            n.id
            for n in nurses.values()
            if (not r.required_skill or r.required_skill in n.skills)
            and ctx.shifts(n.id).contains(st, e)
        ]
        if not ns:
            return None
        key = -(10**9) - k
        keys[key] = (rid, li)
        c = chair_of[(rid, li)]
        items.append(_Item(key, r.patient_id, [st], None, e - st, rel_ - st, [c], ns, None, None))
    sol, _ = solve_day(
        center=center,
        chairs=chairs,
        nurses=nurses,
        items=items,
        time_limit=limit,
        balance_nurses=True,
    )
    if sol is None:
        return None
    return {keys[k]: sol[k][2] for k in keys}
