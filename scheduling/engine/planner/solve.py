"""The CP-SAT model over the horizon and the solve (the model is described in the package docstring)."""

from __future__ import annotations

import threading
import time as _time
from collections import defaultdict
from collections.abc import Sequence
from datetime import date, datetime, timedelta

from ..constraints import from_ts, ts
from ..timeline import session_minutes
from .assign import assign
from .days import Days, allowed_minutes
from .lns import LnsRequest, improve
from .ripup import rip_up_and_replace
from .stats import stats as plan_stats
from .types import DEFAULT_WEIGHTS, PlanRequest, PlanResult, PlanWorld, Proposal, Unplaced
from .warm import greedy_placements, world_with


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
    days = Days(center, horizon)
    tz = days.tz
    step = max(1, center.slot_step_minutes)
    turnover = center.turnover_minutes
    stagger = center.stagger_minutes
    reqs = list(requests)
    greedy = greedy_placements(world, reqs, horizon, now) if warm_start else {}

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
                ok, wish_ok = allowed_minutes(r, days, d, step, nb)
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
        # The warm start as the hint, for the requests it placed. Deliberately not a complete
        # hint (deviations, peaks, the left-out requests at 0): that makes CP-SAT start from
        # the warm start at once, which on one day of 130 requests left LNS stuck near it
        # (129/130 booked, 124-136 min from preferred in 2 of 4 runs, against 130/130 and
        # 100-113 min without), and on 3 weeks its small gain was lost in the assignment.
        g = greedy.get(r.id)
        if g is not None:
            gl = g.start.astimezone(tz)
            gd, gm = gl.date(), gl.hour * 60 + gl.minute
            if (r.id, gd) in pvars:
                m.AddHint(mv, gm)
                gk = chairs[g.placements[0].chair_id].kind
                for d in cand:
                    m.AddHint(pvars[(r.id, d)], d == gd)
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
    # day when the greedy assignment needs its CP-SAT fallback) and the repairs after it
    # (3 weeks: the slot-search repair and the rip-up about 1.5 s together)
    n_days = max(1, len(days.windows))
    reserve = min(0.25 * time_limit, 0.3 + 0.25 * n_days)
    total = max(0.1, time_limit - build_s - reserve)
    solver.parameters.max_time_in_seconds = total
    solver.parameters.num_workers = max(1, min(2, workers))
    # Two phases in the one limit. Phase one: CP-SAT on the whole objective (place the most,
    # then cost) until everyone with a candidate start is placed (after a fifth of the limit)
    # or it is optimal, or half the limit once it has a plan (a timer: CP-SAT has no such
    # limit of its own), so a large horizon that needs longer to find one keeps it. Phase two,
    # from that plan with its placed count as a floor: our time-band LNS on the cost alone
    # (lns.py) when everyone is placed, else CP-SAT again on the whole objective.
    found = threading.Event()
    stopper = _StopAtHalf(solver, found, t0=_time.perf_counter() + total / 2)
    p_all = list(pvars.values())

    class _Progress(cp_model.CpSolverSolutionCallback):
        def on_solution_callback(self):
            found.set()
            # everyone placed: the rest is cost, which the band LNS improves faster (a small
            # problem is usually proven optimal before a fifth of the limit)
            if self.WallTime() >= total / 5 and sum(self.Value(p) for p in p_all) == len(mvars):
                self.StopSearch()

    stopper.start()
    try:
        res = solver.Solve(m, _Progress())
    finally:
        stopper.cancel()
    phase1_s = solver.WallTime()
    status = solver.StatusName(res)
    objective = bound = None
    sol: list[int] = []
    lns_steps = lns_improvements = 0
    if res in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        sol = list(solver.ResponseProto().solution)
        objective, bound = solver.ObjectiveValue(), solver.BestObjectiveBound()
        p_end = t_start + build_s + total
        if res == cp_model.FEASIBLE and p_end - _time.perf_counter() > 0.1:
            n_placed = sum(sol[p.Index()] for p in p_all)
            m.Add(sum(placed_terms) >= n_placed)
            if n_placed < len(mvars):
                # Not everyone placed: placing more needs room hours long, which the band
                # search's small neighbourhoods rarely make, so CP-SAT's own search goes on
                # from the plan (request by request at 91 % demand, bench_request_by_request 5:
                # 1.39 % turned away with CP-SAT going on, 2.17 % with the band search here).
                m.ClearHints()
                hinted = [*pvars.values(), *mvars.values(), *wvars.values()]
                hinted += [y for ys in kvars.values() for y in ys.values()]
                for v in hinted:
                    m.AddHint(v, sol[v.Index()])
                second = cp_model.CpSolver()
                second.parameters.num_workers = solver.parameters.num_workers
                second.parameters.max_time_in_seconds = max(0.1, p_end - _time.perf_counter())
                if second.Solve(m) in (cp_model.OPTIMAL, cp_model.FEASIBLE):
                    sol = list(second.ResponseProto().solution)
                    objective = second.ObjectiveValue()
            else:
                # everyone placed: the band search on the cost alone
                m.Minimize(sum(cost))
                shift = -W["placed"] * n_placed  # back to the whole objective's scale
                by_req: dict = defaultdict(list)
                for (rid, d), p in pvars.items():
                    by_req[rid].append((d, p.Index()))
                lns_reqs = [
                    LnsRequest(mvars[r.id].Index(), tuple(by_req[r.id]), r.preferred())
                    for r in reqs
                    if r.id in mvars
                ]
                better = improve(
                    m,
                    sol,
                    objective - shift,
                    lns_reqs,
                    deadline=p_end,
                    workers=solver.parameters.num_workers,
                )
                sol, objective = better.solution, better.objective + shift
                lns_steps, lns_improvements = better.steps, better.improvements
    chosen: dict = {}
    if sol:
        for r in reqs:
            if r.id not in mvars:
                continue
            for (rid, d), p in ((k, v) for k, v in pvars.items() if k[0] == r.id):
                del rid
                if sol[p.Index()]:
                    kind = r.required_chair_kind or next(
                        (k for k, y in kvars.get((r.id, d), {}).items() if sol[y.Index()]),
                        None,
                    )
                    chosen[r.id] = (d, sol[mvars[r.id].Index()], kind)

    def from_slot(r, g) -> Proposal:
        # a slot the search found against everything placed before: valid as it stands
        gl = g.start.astimezone(tz)
        pref = r.preferred()
        av = r.availability
        return Proposal(
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

    def score(props) -> tuple:
        # what the objective weighs, on the final proposals: booked first, then the cost
        return (
            -len(props),
            sum(
                W["minute"] * p.minutes_from_preferred
                + W["day"] * p.days_from_target
                + W["wish"] * p.wish_misses
                for p in props
            ),
        )

    # the warm start's own placements: found one by one, valid as they stand
    greedy_props = [from_slot(r, greedy[r.id]) for r in reqs if r.id in greedy]
    deadline = t_start + time_limit
    repaired = ripped = 0
    judged: dict = {}
    if len(chosen) < len(greedy):
        # The warm start placed more than the solver's best in time: a plan never books
        # fewer than the greedy one.
        status, proposals, unplaced = "GREEDY", greedy_props, []
    else:
        proposals, unplaced = assign(world, reqs, chosen, days, deadline)
        if unplaced:
            # The exact chairs and nurses could not all be found for the solver's times
            # (the model's per-group totals are a relaxation of one nurse's limits: seen on
            # 3 weeks, 695 of 734): the rest are placed by the slot search around the
            # solver's plan, so its gains are kept rather than thrown away for the greedy one.
            failed = {u.request_id for u in unplaced}
            rest = [r for r in reqs if r.id in failed]
            extra = greedy_placements(world_with(world, proposals), rest, horizon, now)
            proposals = proposals + [from_slot(r, extra[r.id]) for r in rest if r.id in extra]
            unplaced = [u for u in unplaced if u.request_id not in extra]
            repaired = len(extra)
        if unplaced:
            # still some without a slot: give each its warm-start slot, placing again the
            # proposals in its way (ripup.py)
            t_rip = _time.perf_counter()
            still = {u.request_id for u in unplaced}
            # one level of lifting for all first (cheap), then two for what is left
            for depth in (1, 2):
                if not still:
                    break
                proposals, still = rip_up_and_replace(
                    world,
                    reqs,
                    proposals,
                    sorted(still),
                    greedy,
                    horizon=horizon,
                    now=now,
                    deadline=deadline,
                    to_proposal=from_slot,
                    depth=depth,
                )
            ripped = len(unplaced) - len(still)
            judged["ripup_seconds"] = round(_time.perf_counter() - t_rip, 2)
            unplaced = [u for u in unplaced if u.request_id in still]
        # judged on the final proposals by the objective's own weights: the greedy plan
        # stands if it books more, or as many at less cost
        judged |= {
            "solver_plan_cost": score(proposals)[1],
            "solver_plan_repaired": repaired,
            "solver_plan_ripped_up": ripped,
            "solver_plan_booked": len(proposals),
            "greedy_cost": score(greedy_props)[1],
        }
        if score(proposals) > score(greedy_props):
            status, proposals, unplaced = "GREEDY", greedy_props, []
    accounted = {p.request_id for p in proposals} | {u.request_id for u in unplaced}
    for r in reqs:
        if r.id not in accounted:
            unplaced.append(
                Unplaced(r.id, unplaced_reason.get(r.id, "no room in its window in this plan"))
            )
    elapsed = _time.perf_counter() - t_start
    stats = plan_stats(world, reqs, proposals, days)
    stats.update(
        build_seconds=round(build_s, 3),
        greedy_booked=len(greedy),
        phase1_seconds=round(phase1_s, 2),
        lns_steps=lns_steps,
        lns_improvements=lns_improvements,
    )
    stats.update(judged)
    if status != "GREEDY":
        stats.update(repaired=repaired)
    return PlanResult(
        tuple(proposals), tuple(unplaced), status, objective, bound, round(elapsed, 3), stats
    )


class _StopAtHalf(threading.Thread):
    """Stops a running CP-SAT solve at ``t0`` (perf_counter) if it has found a plan by then,
    else as soon as it finds one."""

    def __init__(self, solver, found: threading.Event, t0: float):
        super().__init__(daemon=True)
        self.solver, self.found, self.t0 = solver, found, t0
        self._done = threading.Event()

    def run(self):
        if self._done.wait(max(0.0, self.t0 - _time.perf_counter())):
            return
        while not self._done.is_set():
            if self.found.wait(0.05):
                self.solver.StopSearch()
                return

    def cancel(self):
        self._done.set()
