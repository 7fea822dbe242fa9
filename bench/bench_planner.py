"""The due-pipeline planner against a CP-SAT bound (issue 11, DESIGN §9).

1. One generated day of 130 requests (bench/_days.py: 30 chairs, 8 nurses, 07-19, the MS
   mix, 60 % preferring 08:00-11:00): plan() with a 10 s limit vs the same model with a
   long limit (the "bound": its best solution and CP-SAT's proven lower bound).
2. A 3-week horizon (15 weekdays): half of each day already booked (fixed), the due
   pipeline (each dose due on a day, window +-3 days, 60 % preferring mornings) on top:
   plan() with a 60 s limit vs a long limit.

Prints booked %, mean minutes from the preferred time, peak-to-mean chair occupancy, nurse
load spread (max - min sessions per nurse a day) and solve time. Targets: books everything
the bound books; deviation within 10 % of the bound's; <= 10 s for the day, <= 60 s for the
3 weeks, on 2 cores.

Run: .venv/bin/python bench/bench_planner.py [long_limit_seconds]
"""

from __future__ import annotations

import os
import random
import sys
from datetime import timedelta

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from bench import _days  # noqa: E402
from scheduling.engine import (  # noqa: E402
    BusyIndex,
    BusySession,
    Leg,
    PlanRequest,
    PlanWorld,
    SlotRequest,
    find_slots,
    plan,
)


def line(name, res, n):
    st = res.stats
    gap = ""
    if res.objective is not None and res.bound is not None:
        gap = f" obj={res.objective:.0f} bound={res.bound:.0f}"
    print(
        f"  {name:<14} booked {st['booked']}/{n} ({st['booked'] / n:.1%})  "
        f"mean {st['mean_minutes_from_preferred']:.1f} min from preferred  "
        f"peak/mean {st['peak_to_mean']:.2f}  nurse spread {st['nurse_load_spread']:.1f}  "
        f"{res.solve_seconds:.1f} s  {res.status}{gap}"
    )


def one_day(long_limit: float) -> None:
    reqs = _days.make_n_requests(130, 5)
    center, chairs, nurses = _days.make_center()
    world = PlanWorld(center, chairs, nurses, ())
    prs = [
        PlanRequest(
            r.id,
            r.id,
            (Leg(1, 0, r.timing),),
            r.skill,
            r.kind,
            _days.DAY,
            _days.DAY,
            preferred_minute=r.preferred_minute,
        )
        for r in reqs
    ]
    demand = sum(r.stay + _days.TURNOVER for r in reqs) / (
        _days.N_CHAIRS * (_days.CLOSE - _days.OPEN)
    )
    print(f"one day, 130 requests ({demand:.0%} of chair time):")
    fast = plan(world=world, requests=prs, time_limit=10)
    line("plan 10 s", fast, len(prs))
    slow = plan(world=world, requests=prs, time_limit=long_limit)
    line(f"bound {long_limit:.0f} s", slow, len(prs))
    report(fast, slow)


def report(fast, slow):
    b_fast, b_slow = fast.stats["booked"], slow.stats["booked"]
    d_fast, d_slow = (
        fast.stats["mean_minutes_from_preferred"],
        slow.stats["mean_minutes_from_preferred"],
    )
    print(
        f"  -> books everything the bound books: {'yes' if b_fast >= b_slow else 'NO'}; "
        f"deviation {d_fast:.1f} vs {d_slow:.1f} "
        f"({(d_fast - d_slow) / d_slow:+.1%} of the bound's)"
        if d_slow
        else ""
    )


def three_weeks(long_limit: float) -> None:
    rng = random.Random(21)
    n_days = 21
    center, chairs, nurses = _days.make_center(_days.DAY, n_days)
    open_days = sorted({w.start.astimezone(_days.TZ).date() for w in center.open_windows})
    # half of every day already booked, request by request with the slot search
    index = BusyIndex()
    sid = 0
    for d in open_days:
        for r in _days.make_requests(0.45, rng.randrange(1 << 30), d, sid + 1):
            req = SlotRequest(
                patient_id=r.id,
                legs=(Leg(1, 0, r.timing),),
                required_skill=r.skill,
                required_chair_kind=r.kind,
                date_from=d,
                date_to=d,
                preferred_minute=r.preferred_minute,
                limit=1,
            )
            slots = find_slots(center=center, chairs=chairs, nurses=nurses, busy=index, request=req)
            sid = max(sid, r.id)
            if slots:
                p = slots[0].placements[0]
                tl = p.timeline
                index.add(
                    BusySession(
                        r.id,
                        r.id,
                        p.chair_id,
                        p.nurse_id,
                        tl.start,
                        tl.observation_end,
                        tl.chair_release_at,
                    )
                )
    busy = tuple(lab for t in index.chair.values() for lab in t.labels)
    # the due pipeline: ~35 % more of each day, due on that day, window +-3 days
    prs = []
    for d in open_days:
        for r in _days.make_requests(0.35, rng.randrange(1 << 30), d, 10**6 + len(prs)):
            prs.append(
                PlanRequest(
                    r.id,
                    r.id,
                    (Leg(1, 0, r.timing),),
                    r.skill,
                    r.kind,
                    max(open_days[0], d - timedelta(days=3)),
                    min(open_days[-1], d + timedelta(days=3)),
                    target_date=d,
                    preferred_minute=r.preferred_minute,
                )
            )
    world = PlanWorld(center, chairs, nurses, busy)
    print(
        f"3 weeks ({len(open_days)} open days): {len(busy)} sessions already booked, "
        f"{len(prs)} due doses to plan (window +-3 days):"
    )
    fast = plan(world=world, requests=prs, time_limit=60)
    line("plan 60 s", fast, len(prs))
    slow = plan(world=world, requests=prs, time_limit=long_limit)
    line(f"bound {long_limit:.0f} s", slow, len(prs))
    report(fast, slow)


if __name__ == "__main__":
    long_limit = float(sys.argv[1]) if len(sys.argv) > 1 else 120
    which = sys.argv[2] if len(sys.argv) > 2 else "both"
    if which in ("both", "day"):
        one_day(long_limit)
    if which in ("both", "weeks"):
        three_weeks(long_limit * 3)
