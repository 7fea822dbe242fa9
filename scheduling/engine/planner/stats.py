"""The figures a plan is judged by: booked, deviation, peak-to-mean, nurse spread."""

from __future__ import annotations

from collections import defaultdict
from datetime import date

from ..constraints import BusyIndex, from_ts, ts
from ..search import busy_from_placements
from ..types import BusySession
from .days import Days
from .types import PlanWorld


def index_sessions(index: BusyIndex) -> list[BusySession]:
    """Every session in a BusyIndex (each is on exactly one chair track)."""
    return [lab for t in index.chair.values() for lab in t.labels]


def stats(world: PlanWorld, reqs, proposals, days: Days) -> dict:
    tz = days.tz
    ptm, spread = [], []
    sessions = list(world.busy) + [
        b for p in proposals for b in busy_from_placements(p.placements, p.patient_id, 0)
    ]
    by_day: dict[date, list[BusySession]] = defaultdict(list)
    for b in sessions:
        by_day[from_ts(ts(b.start), tz).date()].append(b)
    for d, ws in sorted(days.windows.items()):
        bs = by_day.get(d, [])
        if not bs:
            continue
        occ = []
        for o, c in ws:
            for t in range(o, c, 300):
                occ.append(sum(1 for b in bs if ts(b.start) <= t < ts(b.chair_release_at)))
        mean = sum(occ) / len(occ) if occ else 0
        if mean > 0:
            ptm.append(max(occ) / mean)
        loads = defaultdict(int)
        on = [
            n.id
            for n in world.nurses.values()
            if any(
                ts(iv.start) < max(c for _, c in ws) and min(o for o, _ in ws) < ts(iv.end)
                for iv in n.shifts
            )
        ]
        for n in on:
            loads[n] = 0
        for b in bs:
            if b.nurse_id is not None:
                loads[b.nurse_id] += 1
        if loads:
            spread.append(max(loads.values()) - min(loads.values()))
    with_pref = {r.id for r in reqs if r.preferred() is not None}
    devs = [p.minutes_from_preferred for p in proposals if p.request_id in with_pref]
    return {
        "requests": len(reqs),
        "booked": len(proposals),
        "mean_minutes_from_preferred": round(sum(devs) / len(devs), 2) if devs else 0.0,
        "peak_to_mean": round(sum(ptm) / len(ptm), 3) if ptm else 0.0,
        "nurse_load_spread": round(sum(spread) / len(spread), 2) if spread else 0.0,
    }
