"""The due-pipeline planner: one CP-SAT solve proposes a slot for every due, unbooked dose.

Pure Python + ortools CP-SAT, no Django.

Public API (the contract the planner UI calls)
----------------------------------------------
- ``PlanWorld(center: Center, chairs: dict[int, Chair], nurses: dict[int, Nurse],
  busy: tuple[BusySession, ...] = ())``: the center over the horizon; ``busy`` are the
  existing bookings, kept fixed (chair, nurse and time).
- ``PlanRequest(id, patient_id, legs, required_skill, required_chair_kind, date_from, date_to,
  target_date=None, availability=None, preferred_minute=None, not_before=None)``: one due dose
  (or series: legs at the same local clock time, ``day_offset`` days apart). ``date_from`` ..
  ``date_to`` (inclusive, local) is where the FIRST leg may go: the caller intersects the dose
  window with the minimum spacing after the previous dose. ``id`` is the caller's key.
- ``Proposal(request_id, patient_id, start, placements, minutes_from_preferred,
  days_from_target, wish_misses)``.
- ``Unplaced(request_id, reason)``.
- ``PlanResult(proposals, unplaced, status, objective, bound, solve_seconds, stats)``:
  ``status`` is CP-SAT's ("OPTIMAL", "FEASIBLE") or "GREEDY" when the solver's plan (after
  the chair/nurse assignment) booked fewer than the warm start, which is then proposed; ``objective`` / ``bound`` are the solver's (lower is
  better; ``bound`` is the proven lower bound); ``stats`` has ``booked``, ``requests``,
  ``mean_minutes_from_preferred``, ``peak_to_mean`` (mean over days of peak / mean chairs
  busy in opening hours), ``nurse_load_spread`` (mean over days of max - min sessions per
  nurse on shift), ``build_seconds``, ``greedy_booked``.
- ``plan(*, world, requests, horizon=None, time_limit=10.0, workers=2, now=None,
  warm_start=True, weights=None) -> PlanResult``: ``horizon`` = (first, last) local dates
  (None: the dates of the center's open windows); ``now`` = no start before it.

The model
---------
Per request r: ``m[r]`` the local start minute (domain: the slot grid), ``p[r, d]`` a boolean
per allowed first day d (inside the request's dates and the horizon, every leg's day open),
``sum_d p[r, d] <= 1``; ``p[r, d]`` implies m[r] lies in the starts allowed that day (every
leg inside one opening window, not before ``now``, the patient's *must* windows), and
``w[r, d]`` (inside the *wish* windows too) implies the wish starts. Each leg is an optional
interval at (noon of its day - 12 h) + m[r] (same local clock time on every leg; noon is
after any DST change), of chair length (turnover included), stay length and stagger length.
Per day: cumulative of chair intervals plus the fixed bookings <= ``peak[d]`` <= chairs;
per required chair kind a cumulative <= chairs of that kind; patients in the chair
<= sum of nurses' max_concurrent on shift at that time, starts in any stagger window <= nurses
on shift (both also per required skill over the nurses who have it); a patient's sessions
never overlap. The exact chair and nurse of each session are then assigned per day (best-fit
chairs, least-loaded valid nurse; a CP-SAT assignment with nurse load balancing when the
greedy one fails), so every proposal satisfies every rule of DESIGN §4 (1-6).

Objective (minimised; the first term dominates, so it is lexicographic in effect):
``-100000 x placed - 60 x inside wishes + |m[r] - preferred| (minutes) + 20 x days from
target + 10 x sum_d peak[d]``. Nurse load imbalance is minimised in the assignment step.
A warm start (the slot search placing requests one by one, least flexible first) is the hint,
so the time limit always returns at least that.
"""

from __future__ import annotations

import time as _time
from collections import defaultdict
from collections.abc import Hashable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from .availability import PatientAvailability
from .constraints import BusyIndex, Context, from_ts, ts
from .fitmein import _Item, solve_day
from .search import find_slots
from .timeline import build_timeline, session_minutes
from .types import BusySession, Center, Chair, Leg, Nurse, Placement, SlotRequest

DEFAULT_WEIGHTS = {"placed": 100000, "wish": 60, "minute": 1, "day": 20, "peak": 10}


@dataclass(frozen=True)
class PlanWorld:
    center: Center
    chairs: dict[int, Chair]
    nurses: dict[int, Nurse]
    busy: tuple[BusySession, ...] = ()


@dataclass(frozen=True)
class PlanRequest:
    id: Hashable
    patient_id: int
    legs: tuple[Leg, ...]
    required_skill: str | None
    required_chair_kind: str | None
    date_from: date
    date_to: date
    target_date: date | None = None
    availability: PatientAvailability | None = None
    preferred_minute: int | None = None
    not_before: datetime | None = None

    def preferred(self) -> int | None:
        if self.preferred_minute is not None:
            return self.preferred_minute
        if self.availability is not None:
            return self.availability.preferred_minute
        return None


@dataclass(frozen=True)
class Proposal:
    request_id: Hashable
    patient_id: int
    start: datetime
    placements: tuple[Placement, ...]
    minutes_from_preferred: int
    days_from_target: int
    wish_misses: int


@dataclass(frozen=True)
class Unplaced:
    request_id: Hashable
    reason: str


@dataclass(frozen=True)
class PlanResult:
    proposals: tuple[Proposal, ...]
    unplaced: tuple[Unplaced, ...]
    status: str
    objective: float | None
    bound: float | None
    solve_seconds: float
    stats: dict = field(default_factory=dict)


class _Days:
    """Local days of the horizon: opening windows and the epoch of 'noon - 12 h'."""

    def __init__(self, center: Center, horizon):
        self.tz = ZoneInfo(center.time_zone)
        self.windows: dict[date, list[tuple[int, int]]] = defaultdict(list)
        for iv in center.open_windows:
            o, c = ts(iv.start), ts(iv.end)
            d = from_ts(o, self.tz).date()
            if horizon is None or horizon[0] <= d <= horizon[1]:
                self.windows[d].append((o, c))
        self._zero: dict[date, int] = {}

    def zero(self, d: date) -> int:
        """Epoch seconds such that zero(d) + 60 * m is local minute m of day d (m after 02:00)."""
        z = self._zero.get(d)
        if z is None:
            z = self._zero[d] = ts(datetime.combine(d, time(12), tzinfo=self.tz)) - 12 * 3600
        return z

    def inside(self, d: date, s: int, e: int) -> bool:
        return any(o <= s and e <= c for o, c in self.windows.get(d, ()))


def _allowed_minutes(req: PlanRequest, days: _Days, d: date, step: int, nb: int | None):
    """Allowed local start minutes on first day d (all legs), and the wish-free subset."""
    avail = req.availability if req.availability and req.availability.windows else None
    wins = days.windows.get(d, ())
    minutes = set()
    for o, c in wins:
        lo = from_ts(o, days.tz)
        m0 = lo.hour * 60 + lo.minute
        m = m0
        while days.zero(d) + m * 60 < c:
            minutes.add(m)
            m += step
    ok, wish_ok = [], []
    for m in sorted(minutes):
        good, wished = True, True
        for leg in req.legs:
            ld = d + timedelta(days=leg.day_offset)
            s = days.zero(ld) + m * 60
            e = s + session_minutes(leg.timing) * 60
            if not days.inside(ld, s, e) or (nb is not None and s < nb):
                good = False
                break
            if avail is not None:
                ls, le = from_ts(s, days.tz), from_ts(e, days.tz)
                if not avail.allows(ls, le):
                    good = False
                    break
                if avail.wish_misses(ls, le):
                    wished = False
        if good:
            ok.append(m)
            if wished:
                wish_ok.append(m)
    return ok, wish_ok


def _greedy(world: PlanWorld, reqs: list[PlanRequest], horizon, now) -> dict:
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
        d0, d1 = r.date_from, r.date_to
        if horizon is not None:
            d0, d1 = max(d0, horizon[0]), min(d1, horizon[1])
        if d1 < d0:
            continue
        nb = max((x for x in (r.not_before, now) if x is not None), default=None)
        sreq = SlotRequest(
            patient_id=r.patient_id,
            legs=r.legs,
            required_skill=r.required_skill,
            required_chair_kind=r.required_chair_kind,
            date_from=d0,
            date_to=d1,
            target_date=r.target_date,
            not_before=nb,
            limit=1,
            availability=r.availability,
            preferred_minute=r.preferred(),
        )
        slots = find_slots(
            center=world.center, chairs=world.chairs, nurses=world.nurses, busy=index, request=sreq
        )
        if not slots:
            continue
        out[r.id] = slots[0]
        for p in slots[0].placements:
            tl = p.timeline
            index.add(
                BusySession(
                    sid,
                    r.patient_id,
                    p.chair_id,
                    p.nurse_id,
                    tl.start,
                    tl.observation_end,
                    tl.chair_release_at,
                )
            )
            sid -= 1
    return out


def plan(
    *,
    world: PlanWorld,
    requests: Sequence[PlanRequest],
    horizon: tuple[date, date] | None = None,
    time_limit: float = 10.0,
    workers: int = 2,
    now: datetime | None = None,
    warm_start: bool = True,
    weights: dict | None = None,
) -> PlanResult:
    """Propose a slot for every request in one CP-SAT solve (see the module docstring)."""
    from ortools.sat.python import cp_model

    t_start = _time.perf_counter()
    W = {**DEFAULT_WEIGHTS, **(weights or {})}
    center, chairs, nurses = world.center, world.chairs, world.nurses
    days = _Days(center, horizon)
    tz = days.tz
    step = max(1, center.slot_step_minutes)
    turnover = center.turnover_minutes
    stagger = center.stagger_minutes
    reqs = list(requests)
    greedy = _greedy(world, reqs, horizon, now) if warm_start else {}

    m = cp_model.CpModel()
    base = min((o for ws in days.windows.values() for o, _ in ws), default=0)

    def rel(epoch: int) -> int:
        return (epoch - base) // 60

    # per day: lists of (interval, demand) for each resource family
    chair_ivs: dict[date, list] = defaultdict(list)
    kind_ivs: dict[tuple[date, str], list] = defaultdict(list)
    stay_ivs: dict[tuple[date, str | None], list] = defaultdict(list)
    start_ivs: dict[tuple[date, str | None], list] = defaultdict(list)
    patient_ivs: dict[int, list] = defaultdict(list)
    skills = sorted({r.required_skill for r in reqs if r.required_skill})
    # With more than one chair kind, every session takes one kind (a requirement fixes it,
    # else a boolean per kind chooses) and each kind has its own cumulative: within one kind
    # chairs are interchangeable, so the exact chairs can then always be found afterwards
    # (per-instant totals alone are not enough: a recliner patient on a bed at 11:00 can
    # leave no bed for a bed-bound patient starting at 12:00).
    chair_kinds = sorted({c.kind for c in chairs.values()})
    kinds = chair_kinds if len(chair_kinds) > 1 else []
    kvars: dict = {}

    # existing bookings, fixed
    for b in world.busy:
        d = from_ts(ts(b.start), tz).date()
        if d not in days.windows:
            continue
        s, e, r = rel(ts(b.start)), rel(ts(b.observation_end)), rel(ts(b.chair_release_at))
        chair_ivs[d].append(m.NewIntervalVar(s, r - s, r, ""))
        ch = chairs.get(b.chair_id)
        for k in kinds:
            if ch is not None and ch.kind == k:
                kind_ivs[(d, k)].append(m.NewIntervalVar(s, r - s, r, ""))
        patient_ivs[b.patient_id].append(m.NewIntervalVar(s, e - s, e, ""))
        if b.nurse_id is not None and b.nurse_id in nurses:
            groups = [None] + [k for k in skills if k in nurses[b.nurse_id].skills]
            for g in groups:
                stay_ivs[(d, g)].append(m.NewIntervalVar(s, e - s, e, ""))
                if stagger > 0:
                    start_ivs[(d, g)].append(m.NewIntervalVar(s, stagger, s + stagger, ""))

    placed_terms, cost = [], []
    pvars: dict = {}
    mvars: dict = {}
    wvars: dict = {}
    unplaced_reason: dict = {}
    for r in reqs:
        nb = max((ts(x) for x in (r.not_before, now) if x is not None), default=None)
        cand = {}
        d = r.date_from
        while d <= r.date_to:
            if (horizon is None or horizon[0] <= d <= horizon[1]) and all(
                (d + timedelta(days=leg.day_offset)) in days.windows for leg in r.legs
            ):
                ok, wish_ok = _allowed_minutes(r, days, d, step, nb)
                if ok:
                    cand[d] = (ok, wish_ok)
            d += timedelta(days=1)
        if not cand:
            unplaced_reason[r.id] = "no open day in its window (dates, hours or availability)"
            continue
        union = sorted({x for ok, _ in cand.values() for x in ok})
        mv = m.NewIntVarFromDomain(cp_model.Domain.FromValues(union), f"m_{r.id}")
        mvars[r.id] = mv
        ps = []
        has_wishes = bool(r.availability and r.availability.windows)
        for d, (ok, wish_ok) in cand.items():
            p = m.NewBoolVar("")
            ps.append(p)
            pvars[(r.id, d)] = p
            if len(ok) < len(union):
                m.AddLinearExpressionInDomain(mv, cp_model.Domain.FromValues(ok)).OnlyEnforceIf(p)
            if has_wishes and wish_ok:
                w = m.NewBoolVar("")
                m.AddImplication(w, p)
                if len(wish_ok) < len(union):
                    m.AddLinearExpressionInDomain(
                        mv, cp_model.Domain.FromValues(wish_ok)
                    ).OnlyEnforceIf(w)
                wvars[(r.id, d)] = w
                cost.append(-W["wish"] * w)
            if r.target_date is not None:
                cost.append(W["day"] * abs((d - r.target_date).days) * p)
            for leg in r.legs:
                ld = d + timedelta(days=leg.day_offset)
                z = rel(days.zero(ld))
                om = session_minutes(leg.timing)
                start = mv + z
                chair_ivs[ld].append(m.NewOptionalFixedSizeIntervalVar(start, om + turnover, p, ""))
                if r.required_chair_kind and kinds:
                    kind_ivs[(ld, r.required_chair_kind)].append(
                        m.NewOptionalFixedSizeIntervalVar(start, om + turnover, p, "")
                    )
                elif kinds:
                    if (r.id, d) not in kvars:
                        ys = {k: m.NewBoolVar("") for k in kinds}
                        m.Add(sum(ys.values()) == p)
                        kvars[(r.id, d)] = ys
                    for k, y in kvars[(r.id, d)].items():
                        kind_ivs[(ld, k)].append(
                            m.NewOptionalFixedSizeIntervalVar(start, om + turnover, y, "")
                        )
                patient_ivs[r.patient_id].append(
                    m.NewOptionalFixedSizeIntervalVar(start, om, p, "")
                )
                for g in (None, r.required_skill) if r.required_skill else (None,):
                    stay_ivs[(ld, g)].append(m.NewOptionalFixedSizeIntervalVar(start, om, p, ""))
                    if stagger > 0:
                        start_ivs[(ld, g)].append(
                            m.NewOptionalFixedSizeIntervalVar(start, stagger, p, "")
                        )
        m.Add(sum(ps) <= 1)
        placed_terms.append(sum(ps))
        pref = r.preferred()
        if pref is not None:
            dev = m.NewIntVar(0, 24 * 60, "")
            m.AddAbsEquality(dev, mv - pref)
            cost.append(W["minute"] * dev)
        g = greedy.get(r.id)
        if g is not None:
            gd = g.start.astimezone(tz).date()
            gl = g.start.astimezone(tz)
            gm = gl.hour * 60 + gl.minute
            if (r.id, gd) in pvars:
                m.AddHint(mv, gm)
                for d in cand:
                    m.AddHint(pvars[(r.id, d)], d == gd)
                    gk = chairs[g.placements[0].chair_id].kind
                    for k, y in kvars.get((r.id, d), {}).items():
                        m.AddHint(y, d == gd and k == gk)
                if (r.id, gd) in wvars:
                    m.AddHint(wvars[(r.id, gd)], gm in set(cand[gd][1]))

    # resources per day
    n_chairs = len(chairs)
    for d, ws in days.windows.items():
        ivs = chair_ivs.get(d, [])
        if ivs:
            peak = m.NewIntVar(0, n_chairs, f"peak_{d}")
            m.AddCumulative(ivs, [1] * len(ivs), peak)
            cost.append(W["peak"] * peak)
        for k in kinds:
            kv = kind_ivs.get((d, k), [])
            if kv:
                m.AddCumulative(kv, [1] * len(kv), sum(1 for c in chairs.values() if c.kind == k))
        lo = min(o for o, _ in ws)
        hi = max(c for _, c in ws)
        for g in [None, *skills]:
            group = [n for n in nurses.values() if g is None or g in n.skills]
            for ivs_, per in (
                (stay_ivs.get((d, g), []), "stay"),
                (start_ivs.get((d, g), []), "start"),
            ):
                if not ivs_:
                    continue
                # capacity profile at the slot grid; blockers fill what is off shift
                pts = list(range(lo, hi, step * 60))
                caps = []
                for t in pts:
                    on = [
                        n for n in group if any(ts(iv.start) <= t < ts(iv.end) for iv in n.shifts)
                    ]
                    caps.append(sum(n.max_concurrent for n in on) if per == "stay" else len(on))
                cmax = max(caps, default=0)
                blockers, dem = [], []
                for t, cap in zip(pts, caps, strict=True):
                    if cap < cmax:
                        a = rel(t)
                        blockers.append(m.NewIntervalVar(a, step, a + step, ""))
                        dem.append(cmax - cap)
                m.AddCumulative(ivs_ + blockers, [1] * len(ivs_) + dem, cmax)
    for ivs in patient_ivs.values():
        if len(ivs) > 1:
            m.AddNoOverlap(ivs)
    m.Minimize(-W["placed"] * sum(placed_terms) + sum(cost))
    build_s = _time.perf_counter() - t_start

    solver = cp_model.CpSolver()
    # what is left of the limit, keeping some for the chair/nurse assignment (about 0.4 s a
    # day when the greedy assignment needs its CP-SAT fallback)
    n_days = max(1, len(days.windows))
    reserve = min(0.25 * time_limit, 0.3 + 0.15 * n_days)
    solver.parameters.max_time_in_seconds = max(0.1, time_limit - build_s - reserve)
    solver.parameters.num_workers = max(1, min(2, workers))
    res = solver.Solve(m)
    status = solver.StatusName(res)
    chosen: dict = {}
    objective = bound = None
    if res in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        objective = solver.ObjectiveValue()
        bound = solver.BestObjectiveBound()
        for r in reqs:
            if r.id not in mvars:
                continue
            for (rid, d), p in ((k, v) for k, v in pvars.items() if k[0] == r.id):
                del rid
                if solver.Value(p):
                    kind = r.required_chair_kind or next(
                        (k for k, y in kvars.get((r.id, d), {}).items() if solver.Value(y)), None
                    )
                    chosen[r.id] = (d, solver.Value(mvars[r.id]), kind)

    def greedy_plan():
        # the warm start's own placements: found one by one against everything placed
        # before, so they are valid as they stand (no second assignment needed)
        chosen_g, props = {}, []
        for r in reqs:
            g = greedy.get(r.id)
            if g is None:
                continue
            gl = g.start.astimezone(tz)
            chosen_g[r.id] = (gl.date(), gl.hour * 60 + gl.minute, None)
            pref = r.preferred()
            av = r.availability
            props.append(
                Proposal(
                    r.id,
                    r.patient_id,
                    g.start,
                    g.placements,
                    abs(gl.hour * 60 + gl.minute - pref) if pref is not None else 0,
                    abs((gl.date() - r.target_date).days) if r.target_date else 0,
                    av.wish_misses(gl, g.placements[0].timeline.observation_end.astimezone(tz))
                    if av
                    else 0,
                )
            )
        return chosen_g, props, []

    deadline = t_start + time_limit
    if len(chosen) < len(greedy):
        # The warm start placed more than the solver's best in time (on a 3-week horizon the
        # hint is not always completed): a plan never books fewer than the greedy one.
        status = "GREEDY"
        chosen, proposals, unplaced = greedy_plan()
    else:
        proposals, unplaced = _assign(world, reqs, chosen, days, deadline)
        if len(proposals) < len(greedy):
            # the exact chairs and nurses could not all be found in time for the solver's
            # times (seen on 3 weeks: 695 of 734); the warm start's placements stand
            status = "GREEDY"
            chosen, proposals, unplaced = greedy_plan()
    for r in reqs:
        if r.id not in chosen and r.id not in {u.request_id for u in unplaced}:
            unplaced.append(
                Unplaced(r.id, unplaced_reason.get(r.id, "no room in its window in this plan"))
            )
    elapsed = _time.perf_counter() - t_start
    stats = _stats(world, reqs, proposals, days)
    stats.update(build_seconds=round(build_s, 3), greedy_booked=len(greedy))
    return PlanResult(
        tuple(proposals), tuple(unplaced), status, objective, bound, round(elapsed, 3), stats
    )


def _assign(world: PlanWorld, reqs, chosen, days: _Days, deadline: float):
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


def index_sessions(index: BusyIndex) -> list[BusySession]:
    """Every session in a BusyIndex (each is on exactly one chair track)."""
    return [lab for t in index.chair.values() for lab in t.labels]


def _stats(world: PlanWorld, reqs, proposals, days: _Days) -> dict:
    tz = days.tz
    ptm, spread = [], []
    sessions = list(world.busy) + [
        BusySession(
            0,
            p.patient_id,
            pl.chair_id,
            pl.nurse_id,
            pl.timeline.start,
            pl.timeline.observation_end,
            pl.timeline.chair_release_at,
        )
        for p in proposals
        for pl in p.placements
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


__all__ = ["PlanRequest", "PlanResult", "PlanWorld", "Proposal", "Unplaced", "plan"]
