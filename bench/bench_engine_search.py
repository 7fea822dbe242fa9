"""Benchmark of the scheduling engine's availability search (DESIGN §9).

Center: 30 chairs, 8 nurses (max 4 concurrent, shifts 07:00-19:00), open 07:00-19:00 for
14 days, ~80 % of chair time booked with a valid schedule (deterministic seed).
Runs find_slots 200x for single doses (60-420 min chair time) and 50x for a 2-leg
(day 0 + day 14) and a 5-leg consecutive-day series; prints p50/p95/max in ms.
Then books generated days at 68/82/91 % demand first-come-first-served and prints the share
of requests placed.

Run: .venv/bin/python bench/bench_engine_search.py
"""

from __future__ import annotations

import heapq
import os
import random
import statistics
import sys
import time as _time
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from scheduling.engine import (  # noqa: E402
    BusyIndex,
    BusySession,
    Center,
    Chair,
    DoseTiming,
    Interval,
    Leg,
    Nurse,
    SlotRequest,
    find_slots,
)
from scheduling.engine.constraints import Context, ts  # noqa: E402

TZ = ZoneInfo("America/New_York")
DAY0 = date(2026, 3, 2)
DAYS = 14
N_CHAIRS = 30
N_NURSES = 8
STEP = 15 * 60


def local(d: date, h: int, m: int = 0) -> datetime:
    return datetime.combine(d, time(h, m), tzinfo=TZ)


def make_center(day0: date = DAY0, days: int = DAYS):
    windows = tuple(
        Interval(local(day0 + timedelta(i), 7), local(day0 + timedelta(i), 19)) for i in range(days)
    )
    center = Center(
        "America/New_York", windows, turnover_minutes=15, stagger_minutes=15, slot_step_minutes=15
    )
    chairs = {
        i: Chair(i, f"C{i}", "bed" if i > N_CHAIRS - 4 else "recliner")
        for i in range(1, N_CHAIRS + 1)
    }
    nurses = {
        i: Nurse(
            i, f"N{i}", frozenset({"chemo", "rems_natalizumab"} if i % 2 else {"chemo"}), 4, windows
        )
        for i in range(1, N_NURSES + 1)
    }
    return center, chairs, nurses


def timing_for(chair_minutes: int) -> DoseTiming:
    """Split a chair time (incl. 15 min turnover) into premed / infusion / observation."""
    body = chair_minutes - 15
    premed = 30
    obs = 60 if body >= 180 else 30
    return DoseTiming(premed, max(15, body - premed - obs), obs)


def generate_busy(center, chairs, nurses, target=0.82, seed=7):
    """A valid schedule filling ~target of chair time: chairs filled in time order, each
    session given the least-loaded nurse that is valid; random idle gaps tune the load."""
    rng = random.Random(seed)
    index = BusyIndex()
    ctx = Context(center, chairs, nurses, index)
    sid = 0
    booked = 0
    for w in center.open_windows:
        o, c = ts(w.start), ts(w.end)
        heap = [(o + rng.choice([0, 0, 15, 30]) * 60, cid) for cid in chairs]
        heapq.heapify(heap)
        while heap:
            t, cid = heapq.heappop(heap)
            if rng.random() > target + 0.1:
                t += rng.choice([30, 45, 60, 90]) * 60
            cm = rng.choice([60, 75, 90, 120, 150, 180, 240, 300, 360, 420])
            tm = timing_for(cm)
            od = (tm.premed_lead_minutes + tm.infusion_minutes + tm.observation_minutes) * 60
            placed = False
            while t + od <= c:
                for n in sorted(
                    nurses.values(),
                    key=lambda n: (
                        len(index.nurse.get(n.id).starts) if n.id in index.nurse else 0,
                        n.id,
                    ),
                ):
                    if ctx.nurse_ok(n, t, t + od):
                        sid += 1
                        st = datetime.fromtimestamp(t, TZ)
                        b = BusySession(
                            sid,
                            100000 + sid,
                            cid,
                            n.id,
                            st,
                            st + timedelta(seconds=od),
                            st + timedelta(seconds=od + 900),
                        )
                        index.add(b)
                        booked += od + 900
                        placed = True
                        break
                if placed:
                    break
                t += STEP
            if placed:
                heapq.heappush(heap, (t + od + 900, cid))
    capacity = sum(ts(w.end) - ts(w.start) for w in center.open_windows) * len(chairs)
    sessions = [lab for tr in index.chair.values() for lab in tr.labels]
    return sessions, booked / capacity


def pct(xs, p):
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(round(p / 100 * (len(xs) - 1))))]


def report(name, times):
    ms = [t * 1000 for t in times]
    print(
        f"{name:<28} n={len(ms):<4} p50={statistics.median(ms):7.2f} ms  p95={pct(ms, 95):7.2f} ms  max={max(ms):7.2f} ms"
    )


def bench_search():
    center, chairs, nurses = make_center()
    busy, load = generate_busy(center, chairs, nurses)
    print(
        f"center: {N_CHAIRS} chairs, {N_NURSES} nurses, {DAYS} days, {len(busy)} sessions, "
        f"{load:.1%} of chair time booked"
    )
    rng = random.Random(11)
    single = []
    for i in range(200):
        cm = rng.choice(range(60, 421, 15))
        req = SlotRequest(
            patient_id=1 + i,
            legs=(Leg(1, 0, timing_for(cm)),),
            required_skill=rng.choice([None, "chemo", "rems_natalizumab"]),
            required_chair_kind=rng.choice([None, "recliner", "recliner", "bed"]),
            date_from=DAY0,
            date_to=DAY0 + timedelta(DAYS - 1),
            target_date=DAY0 + timedelta(rng.randrange(DAYS)),
            preferred_hour=rng.choice([None, 8, 10, 13]),
            limit=10,
        )
        t0 = _time.perf_counter()
        find_slots(center=center, chairs=chairs, nurses=nurses, busy=busy, request=req)
        single.append(_time.perf_counter() - t0)
    report("single dose (list busy)", single)
    index = BusyIndex(busy)
    single_idx = []
    for i in range(200):
        cm = rng.choice(range(60, 421, 15))
        req = SlotRequest(
            patient_id=1 + i,
            legs=(Leg(1, 0, timing_for(cm)),),
            required_skill=None,
            required_chair_kind=None,
            date_from=DAY0,
            date_to=DAY0 + timedelta(DAYS - 1),
            target_date=DAY0 + timedelta(rng.randrange(DAYS)),
        )
        t0 = _time.perf_counter()
        find_slots(center=center, chairs=chairs, nurses=nurses, busy=index, request=req)
        single_idx.append(_time.perf_counter() - t0)
    report("single dose (prebuilt index)", single_idx)

    # series: window of 14 days for the first leg, 28-day center so later legs fit
    center2, chairs2, nurses2 = make_center(DAY0, 28)
    busy2, load2 = generate_busy(center2, chairs2, nurses2, seed=8)
    print(
        f"series center: 28 days, {len(busy2)} sessions, {load2:.1%} booked; first leg in days 1-14"
    )
    tm = timing_for(240)
    index2 = BusyIndex(busy2)
    for name, legs in (
        ("2-leg day 0 + day 14", (Leg(1, 0, tm), Leg(2, 14, tm))),
        ("5-leg consecutive days", tuple(Leg(i + 1, i, timing_for(300)) for i in range(5))),
    ):
        times, times_idx = [], []
        found = 0
        for i in range(50):
            req = SlotRequest(
                patient_id=1 + i,
                legs=legs,
                required_skill=None,
                required_chair_kind=None,
                date_from=DAY0,
                date_to=DAY0 + timedelta(DAYS - 1),
                target_date=DAY0 + timedelta(rng.randrange(DAYS)),
                limit=10,
            )
            t0 = _time.perf_counter()
            res = find_slots(
                center=center2, chairs=chairs2, nurses=nurses2, busy=busy2, request=req
            )
            times.append(_time.perf_counter() - t0)
            found += bool(res)
            t0 = _time.perf_counter()
            find_slots(center=center2, chairs=chairs2, nurses=nurses2, busy=index2, request=req)
            times_idx.append(_time.perf_counter() - t0)
        report(f"{name} ({found}/50 found)", times)
        report(f"{name} (prebuilt index)", times_idx)


def bench_fill():
    print("first-come-first-served fill of one empty generated day (day window = 1 day):")
    for demand in (0.68, 0.82, 0.91):
        shares = []
        for seed in range(5):
            rng = random.Random(1000 + seed)
            day = DAY0
            center, chairs, nurses = make_center(day, 1)
            capacity = 12 * 60 * N_CHAIRS
            reqs, total = [], 0
            while total < demand * capacity:
                cm = rng.choice([60, 75, 90, 120, 150, 180, 240, 300, 360, 420])
                reqs.append(cm)
                total += cm
            rng.shuffle(reqs)
            index = BusyIndex()
            placed = 0
            for i, cm in enumerate(reqs):
                req = SlotRequest(
                    patient_id=i + 1,
                    legs=(Leg(1, 0, timing_for(cm)),),
                    required_skill=None,
                    required_chair_kind=None,
                    date_from=day,
                    date_to=day,
                    limit=1,
                )
                res = find_slots(
                    center=center, chairs=chairs, nurses=nurses, busy=index, request=req
                )
                if res:
                    p = res[0].placements[0]
                    index.add(
                        BusySession(
                            i + 1,
                            i + 1,
                            p.chair_id,
                            p.nurse_id,
                            p.timeline.start,
                            p.timeline.observation_end,
                            p.timeline.chair_release_at,
                        )
                    )
                    placed += 1
            shares.append(placed / len(reqs))
        print(
            f"  demand {demand:.0%}: placed {statistics.mean(shares):.1%} of requests "
            f"(min {min(shares):.1%}, max {max(shares):.1%} over 5 days)"
        )


def bench_guided():
    """Issue 11: the same 80 %-booked 14 days with a level-loading template guide on (built
    by CP-SAT from the booked sessions), patient availability and spread options."""
    from scheduling.engine import (
        AvailabilityWindow,
        PatientAvailability,
        TemplateGuide,
        build_template,
        demand_from_history,
    )

    center, chairs, nurses = make_center()
    busy, load = generate_busy(center, chairs, nurses)
    visits = [
        (b.start.astimezone(TZ), int((b.observation_end - b.start).total_seconds() // 60))
        for b in busy
    ]
    t0 = _time.perf_counter()
    tpl = build_template(
        demand=demand_from_history(visits, weeks=2),
        hours={wd: (7 * 60, 19 * 60) for wd in range(7)},
        chairs=N_CHAIRS,
        nurses=N_NURSES,
        time_limit=10,
    )
    print(
        f"template from {len(busy)} sessions built in {_time.perf_counter() - t0:.1f} s ({tpl.status})"
    )
    guide = TemplateGuide(tpl, release_hours=72)
    index = BusyIndex(busy)
    rng = random.Random(12)
    now = local(DAY0, 6) - timedelta(days=1)
    mornings = PatientAvailability(
        (AvailabilityWindow(frozenset({0, 1, 2, 3, 4}), 7 * 60, 13 * 60),), preferred_minute=540
    )
    for name, spread, avail in (
        ("guided, single dose", None, None),
        ("guided + availability", None, mornings),
        ("guided + spread options", "days", None),
    ):
        times = []
        for i in range(200):
            cm = rng.choice(range(60, 421, 15))
            req = SlotRequest(
                patient_id=1 + i,
                legs=(Leg(1, 0, timing_for(cm)),),
                required_skill=rng.choice([None, "chemo", "rems_natalizumab"]),
                required_chair_kind=rng.choice([None, "recliner", "recliner", "bed"]),
                date_from=DAY0,
                date_to=DAY0 + timedelta(DAYS - 1),
                target_date=DAY0 + timedelta(rng.randrange(DAYS)),
                preferred_minute=rng.choice([None, 480, 600, 780]),
                availability=avail,
                limit=8,
            )
            t0 = _time.perf_counter()
            find_slots(
                center=center,
                chairs=chairs,
                nurses=nurses,
                busy=index,
                request=req,
                guide=guide,
                now=now,
                spread=spread,
            )
            times.append(_time.perf_counter() - t0)
        report(name + " (index)", times)


if __name__ == "__main__":
    bench_search()
    bench_guided()
    bench_fill()
