"""Fit-me-in: repack one day so a request fits (chairs and nurses reassigned, times kept).

Pure Python + ortools CP-SAT, no Django.

Public API (the contract the planner UI calls)
----------------------------------------------
- ``DaySession(session: BusySession, required_skill: str | None = None,
  required_chair_kind: str | None = None, started: bool = False, confirmed: bool = False)``:
  every active session of the day. ``started`` (checked in / in chair) keeps its chair, nurse
  and time; ``confirmed`` (the patient confirmed the time) never shifts in time.
- ``Move(session_id, chair_before, chair_after, nurse_before, nurse_after, start_before,
  start_after)`` with ``time_changed`` / ``chair_changed`` / ``nurse_changed``.
- ``FitProposal(placements, moves, busy_after, status, solve_seconds)``: ``placements`` are
  the request's (one leg); ``moves`` the exact list of changes to existing sessions (empty
  when the request fits as things stand); ``busy_after`` the day's sessions after the moves.
- ``fit_me_in(*, center, chairs, nurses, day_sessions, request, day, shift_minutes=0,
  time_limit=2.0, workers=2) -> FitProposal | None``: ``request`` is a single-dose
  :class:`SlotRequest` (its availability, not_before and preferred time are honoured);
  ``day`` the local date to fit it on. ``shift_minutes=0`` (the default) never changes any
  patient's time: only chairs and nurses of sessions that have not started are reassigned.
  With ``shift_minutes=N`` > 0 (the coordinator allowed it) unconfirmed, not-started sessions
  may move by at most N minutes (on the slot grid), each such move costing far more than a
  chair or nurse change. None when even repacking cannot fit the request.

The CP-SAT model: one boolean per (session, eligible chair) and per (session, eligible
nurse); optional intervals; NoOverlap per chair over [start, chair_release_at); per nurse a
cumulative of max_concurrent over [start, observation_end) and NoOverlap over
[start, start + stagger) (one start per stagger window); shift containment and skill/chair
kind by eligibility; a patient's sessions never overlap. Objective: 1000 x time shifts +
10 x chair changes + 10 x nurse changes + minutes of the request from its preferred time; the current assignment is the hint.

Before the model: with times kept, starts at which every chair is taken at some instant of the
request's stay are dropped (none left: None at once), then a greedy deal of chairs and nurses
in start order is tried (``_deal_day``, status "repacked"); CP-SAT runs only when it fails.
"""

from __future__ import annotations

import time as _time
from bisect import bisect_right
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from .constraints import BusyIndex, Context, Windows, from_ts, ts
from .search import find_slots
from .timeline import build_timeline, session_minutes
from .types import BusySession, Center, Chair, Nurse, Placement, SlotRequest


@dataclass(frozen=True)
class DaySession:
    session: BusySession
    required_skill: str | None = None
    required_chair_kind: str | None = None
    started: bool = False
    confirmed: bool = False


@dataclass(frozen=True)
class Move:
    session_id: int
    chair_before: int
    chair_after: int
    nurse_before: int | None
    nurse_after: int
    start_before: datetime
    start_after: datetime

    @property
    def time_changed(self) -> bool:
        return ts(self.start_before) != ts(self.start_after)

    @property
    def chair_changed(self) -> bool:
        return self.chair_before != self.chair_after

    @property
    def nurse_changed(self) -> bool:
        return self.nurse_before != self.nurse_after


@dataclass(frozen=True)
class FitProposal:
    placements: tuple[Placement, ...]
    moves: tuple[Move, ...]
    busy_after: tuple[BusySession, ...]
    status: str
    solve_seconds: float


@dataclass
class _Item:
    """One session in the repack model (an existing one or the request)."""

    key: int  # session id, or -1 for the request
    patient_id: int
    starts: list[int]  # allowed start instants (epoch s); one value when fixed
    orig_start: int | None
    stay: int  # seconds [start, observation_end)
    chair_time: int  # seconds [start, chair_release_at)
    chairs: list[int]
    nurses: list[int]
    orig_chair: int | None
    orig_nurse: int | None


def _shift_window(nurse: Nurse, lo: int, hi: int) -> tuple[int, int] | None:
    """The shift of `nurse` that overlaps [lo, hi) the most (a day normally has one)."""
    best = None
    for iv in nurse.shifts:
        a, b = ts(iv.start), ts(iv.end)
        ov = min(b, hi) - max(a, lo)
        if ov > 0 and (best is None or ov > best[0]):
            best = (ov, a, b)
    return None if best is None else (best[1], best[2])


def solve_day(
    *,
    center: Center,
    chairs: dict[int, Chair],
    nurses: dict[int, Nurse],
    items: list[_Item],
    preferred: dict[int, int] | None = None,
    move_weight: int = 10,
    shift_weight: int = 1000,
    time_limit: float = 2.0,
    workers: int = 2,
    balance_nurses: bool = False,
):
    """Assign every item a start (from its allowed starts), a chair and a nurse, all rules of
    DESIGN §4 (1-5) holding. Returns ({key: (start, chair, nurse)}, status) or (None, status).
    An item with no eligible nurses keeps no nurse (a fixed session booked without one).
    Shared by fit-me-in and the planner's per-day chair/nurse assignment."""
    from ortools.sat.python import cp_model

    if not items:
        return {}, "EMPTY"
    m = cp_model.CpModel()
    stagger = center.stagger_minutes * 60
    base = min(min(it.starts) for it in items)
    chair_iv: dict[int, list] = defaultdict(list)
    nurse_stay: dict[int, list] = defaultdict(list)
    nurse_start: dict[int, list] = defaultdict(list)
    patient_iv: dict[int, list] = defaultdict(list)
    cost = []
    start_var, xs, ys = {}, {}, {}
    nurse_count: dict[int, list] = defaultdict(list)
    for it in items:
        rel = sorted({(s - base) // 60 for s in it.starts})
        if len(rel) == 1:
            sv = m.NewConstant(rel[0])
        else:
            sv = m.NewIntVarFromDomain(cp_model.Domain.FromValues(rel), f"s{it.key}")
            if it.orig_start is not None:
                m.AddHint(sv, (it.orig_start - base) // 60)
        start_var[it.key] = sv
        stay, ct = it.stay // 60, it.chair_time // 60
        if it.orig_start is not None and len(rel) > 1:
            moved = m.NewBoolVar(f"moved{it.key}")
            o = (it.orig_start - base) // 60
            m.Add(sv == o).OnlyEnforceIf(moved.Not())
            m.Add(sv != o).OnlyEnforceIf(moved)
            cost.append(shift_weight * moved)
        if preferred and it.key in preferred and len(rel) > 1:
            pm = (preferred[it.key] - base) // 60
            dev = m.NewIntVar(0, 24 * 60 * 400, f"dev{it.key}")
            m.AddAbsEquality(dev, sv - pm)
            cost.append(dev)
        # chair
        xcs = []
        for c in it.chairs:
            x = m.NewBoolVar(f"x{it.key}_{c}")
            xcs.append(x)
            xs[(it.key, c)] = x
            chair_iv[c].append(m.NewOptionalFixedSizeIntervalVar(sv, ct, x, ""))
            if it.orig_chair is not None:
                m.AddHint(x, c == it.orig_chair)
                if c != it.orig_chair:
                    cost.append(move_weight * x)
        m.AddExactlyOne(xcs)
        ycs = []
        for n in it.nurses:
            y = m.NewBoolVar(f"y{it.key}_{n}")
            ycs.append(y)
            ys[(it.key, n)] = y
            nurse_stay[n].append(m.NewOptionalFixedSizeIntervalVar(sv, stay, y, ""))
            if stagger > 0:
                nurse_start[n].append(m.NewOptionalFixedSizeIntervalVar(sv, stagger // 60, y, ""))
            nurse_count[n].append(y)
            if len(rel) > 1:
                win = _shift_window(nurses[n], min(it.starts), max(it.starts) + it.stay)
                if win is None:
                    m.Add(y == 0)
                else:
                    m.Add(sv >= (win[0] - base) // 60).OnlyEnforceIf(y)
                    m.Add(sv + stay <= (win[1] - base) // 60).OnlyEnforceIf(y)
            if it.orig_nurse is not None:
                m.AddHint(y, n == it.orig_nurse)
                if n != it.orig_nurse:
                    cost.append(move_weight * y)
        if it.nurses:
            m.AddExactlyOne(ycs)
        patient_iv[it.patient_id].append(m.NewFixedSizeIntervalVar(sv, stay, ""))
    for ivs in chair_iv.values():
        m.AddNoOverlap(ivs)
    for n, ivs in nurse_stay.items():
        m.AddCumulative(ivs, [1] * len(ivs), nurses[n].max_concurrent)
    for ivs in nurse_start.values():
        m.AddNoOverlap(ivs)
    for ivs in patient_iv.values():
        if len(ivs) > 1:
            m.AddNoOverlap(ivs)
    if balance_nurses and nurse_count:
        hi = m.NewIntVar(0, len(items), "load_hi")
        lo = m.NewIntVar(0, len(items), "load_lo")
        for ys_ in nurse_count.values():
            m.Add(sum(ys_) <= hi)
            m.Add(sum(ys_) >= lo)
        cost.append(5 * (hi - lo))
    m.Minimize(sum(cost))
    solver = cp_model.CpSolver()
    solver.parameters.max_time_in_seconds = max(0.05, time_limit)
    solver.parameters.num_workers = max(1, min(2, workers))
    res = solver.Solve(m)
    status = solver.StatusName(res)
    if res not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        return None, status
    out = {}
    for it in items:
        s = base + solver.Value(start_var[it.key]) * 60
        c = next(c for c in it.chairs if solver.Value(xs[(it.key, c)]))
        n = next((n for n in it.nurses if solver.Value(ys[(it.key, n)])), None)
        out[it.key] = (s, c, n)
    return out, status


def _day_starts(ctx: Context, day: date, od: int, not_before: int | None, avail) -> list[int]:
    step = max(1, ctx.center.slot_step_minutes) * 60
    out = []
    for o, c in zip(ctx.windows.starts, ctx.windows.ends, strict=True):
        if from_ts(o, ctx.tz).date() != day:
            continue
        s = o
        while s + od <= c:
            if not_before is None or s >= not_before:
                if avail is None or avail.allows(from_ts(s, ctx.tz), from_ts(s + od, ctx.tz)):
                    out.append(s)
            s += step
    return out


def fit_me_in(
    *,
    center: Center,
    chairs: dict[int, Chair],
    nurses: dict[int, Nurse],
    day_sessions: Sequence[DaySession],
    request: SlotRequest,
    day: date,
    shift_minutes: int = 0,
    time_limit: float = 2.0,
    workers: int = 2,
) -> FitProposal | None:
    """Repack `day` so `request` fits (see the module docstring). The request's own patient
    may not overlap their other sessions of the day."""
    if len(request.legs) != 1:
        raise ValueError("fit-me-in places a single dose; book a series through the search")
    t0 = _time.perf_counter()
    leg = request.legs[0]
    busy = [d.session for d in day_sessions]
    from dataclasses import replace

    req1 = replace(request, date_from=day, date_to=day, target_date=day, limit=1)
    plain = find_slots(center=center, chairs=chairs, nurses=nurses, busy=busy, request=req1)
    if plain:
        return FitProposal(plain[0].placements, (), tuple(busy), "fits", _time.perf_counter() - t0)
    ctx = Context(center, chairs, nurses, BusyIndex())
    od = session_minutes(leg.timing) * 60
    nb = ts(request.not_before) if request.not_before is not None else None
    avail = request.availability if request.availability and request.availability.windows else None
    new_starts = _day_starts(ctx, day, od, nb, avail)
    if not new_starts:
        return None
    turnover = center.turnover_minutes * 60
    step = max(1, center.slot_step_minutes) * 60

    def eligible_chairs(kind):
        return sorted(c.id for c in chairs.values() if kind is None or c.kind == kind)

    def eligible_nurses(skill, lo, hi, fixed: bool):
        out = []
        for n in sorted(nurses.values(), key=lambda n: n.id):
            if skill is not None and skill not in n.skills:
                continue
            if fixed and not ctx.shifts(n.id).contains(lo, hi):
                continue
            if not fixed and _shift_window(n, lo, hi) is None:
                continue
            out.append(n.id)
        return out

    items: list[_Item] = []
    for ds in day_sessions:
        b = ds.session
        s0, e0, r0 = ts(b.start), ts(b.observation_end), ts(b.chair_release_at)
        if ds.started or b.nurse_id is None:
            # in the chair already (or a session without a nurse): it stays as it is
            starts, cs, ns = [s0], [b.chair_id], [b.nurse_id] if b.nurse_id is not None else []
        else:
            if shift_minutes > 0 and not ds.confirmed:
                k = shift_minutes * 60 // step
                starts = [
                    s0 + i * step
                    for i in range(-k, k + 1)
                    if ctx.windows.contains(s0 + i * step, e0 + i * step)
                    and (nb is None or s0 + i * step >= nb)
                ] or [s0]
            else:
                starts = [s0]
            cs = eligible_chairs(ds.required_chair_kind)
            if b.chair_id not in cs:
                cs = sorted({*cs, b.chair_id})
            ns = eligible_nurses(
                ds.required_skill, min(starts), max(starts) + (e0 - s0), len(starts) == 1
            )
            if b.nurse_id not in ns:
                ns = sorted({*ns, b.nurse_id})
        items.append(
            _Item(b.id, b.patient_id, starts, s0, e0 - s0, r0 - s0, cs, ns, b.chair_id, b.nurse_id)
        )
    new = _Item(
        -1,
        request.patient_id,
        new_starts,
        None,
        od,
        od + turnover,
        eligible_chairs(request.required_chair_kind),
        eligible_nurses(
            request.required_skill, min(new_starts), max(new_starts) + od, len(new_starts) == 1
        ),
        None,
        None,
    )
    if request.chair_id is not None:
        new.chairs = [c for c in new.chairs if c == request.chair_id]
    if request.nurse_id is not None:
        new.nurses = [n for n in new.nurses if n == request.nurse_id]
    if not new.chairs or not new.nurses:
        return None
    if shift_minutes <= 0:
        # Times fixed: a start where the day already has every chair taken at some instant
        # of the request's stay can never be repacked into. Dropping those first makes an
        # impossible call return at once instead of after the CP-SAT limit (2 s).
        new.starts = _starts_with_a_chair_free(day_sessions, new.starts, od + turnover, len(chairs))
        if not new.starts:
            return None
        new_starts = new.starts
    pref = request.preferred()
    quick = _deal_day(
        center, chairs, nurses, day_sessions, request, day, new_starts, od, new.chairs, pref
    )
    if quick is not None:
        s, c, n, sol = quick
        return _proposal(center, ctx, leg, day_sessions, s, c, n, sol, "repacked", t0)
    items.append(new)
    preferred = None
    if pref is not None:
        midnight = datetime.combine(day, time(0), tzinfo=ctx.tz)
        preferred = {-1: ts(midnight + timedelta(minutes=pref))}
    sol, status = solve_day(
        center=center,
        chairs=chairs,
        nurses=nurses,
        items=items,
        preferred=preferred,
        time_limit=time_limit,
        workers=workers,
    )
    if sol is None:
        return None
    s, c, n = sol[-1]
    return _proposal(center, ctx, leg, day_sessions, s, c, n, sol, status.lower(), t0)


def _proposal(center, ctx, leg, day_sessions, s, c, n, sol, status, t0) -> FitProposal:
    """The FitProposal for the request at (s, c, n), the day's sessions as `sol` says
    ({session id: (start, chair, nurse)})."""
    tl = build_timeline(from_ts(s, ctx.tz), leg.timing, center.turnover_minutes)
    placement = Placement(leg.dose_number, c, n, tl)
    moves, after = [], []
    for ds in day_sessions:
        b = ds.session
        s1, c1, n1 = sol[b.id]
        d = s1 - ts(b.start)
        nb_ = BusySession(
            b.id,
            b.patient_id,
            c1,
            n1,
            from_ts(s1, ctx.tz),
            from_ts(ts(b.observation_end) + d, ctx.tz),
            from_ts(ts(b.chair_release_at) + d, ctx.tz),
        )
        after.append(nb_)
        if d or c1 != b.chair_id or n1 != b.nurse_id:
            moves.append(Move(b.id, b.chair_id, c1, b.nurse_id, n1, b.start, nb_.start))
    return FitProposal((placement,), tuple(moves), tuple(after), status, _time.perf_counter() - t0)


def _starts_with_a_chair_free(day_sessions, starts, chair_seconds, n_chairs):
    """The starts (epoch seconds) at which fewer than `n_chairs` sessions hold a chair at every
    instant of [start, start + chair_seconds): a necessary condition for any repack."""
    events: dict[int, int] = defaultdict(int)
    for ds in day_sessions:
        events[ts(ds.session.start)] += 1
        events[ts(ds.session.chair_release_at)] -= 1
    points, level, acc = [], [], 0
    for t in sorted(events):
        acc += events[t]
        points.append(t)
        level.append(acc)
    out = []
    for s in starts:
        j = bisect_right(points, s) - 1
        peak = level[j] if j >= 0 else 0
        k = j + 1
        while k < len(points) and points[k] < s + chair_seconds:
            peak = max(peak, level[k])
            k += 1
        if peak < n_chairs:
            out.append(s)
    return out


def _deal_day(center, chairs, nurses, day_sessions, request, day, new_starts, od, new_chairs, pref):
    """The fast first try of fit-me-in: every patient's time kept, chairs and nurses of the
    sessions that have not started dealt again, in start order, for the request's starts
    nearest its preferred time first. Returns (start, chair, nurse, {session id: (start,
    chair, nurse)}) or None (then the CP-SAT repack tries).

    Why: with times fixed, dealing chairs is interval colouring and dealing nurses nearly so
    (each nurse holds max_concurrent patients, one start per stagger window): a greedy deal
    in start order finds in milliseconds what the CP-SAT repack took its whole 2 s limit to
    find, or missed, on a full day (bench_request_by_request at 82 %: placed calls now take
    0.0-0.2 s). Scarce resources are kept for
    who needs them: a dose that may sit anywhere takes a recliner before a bed, and a dose
    without a skill takes the nurse with the fewest skills first. A first pass keeps every
    session on its chair and nurse when it can (fewest moves), a second deals freely."""
    turnover = center.turnover_minutes * 60
    stagger = center.stagger_minutes * 60
    tz = ZoneInfo(center.time_zone)
    shifts = {n: Windows(nurses[n].shifts) for n in nurses}
    by_kind: dict[str, int] = defaultdict(int)
    for ch in chairs.values():
        by_kind[ch.kind] += 1
    common = max(by_kind, key=lambda k: by_kind[k]) if by_kind else None
    midnight = ts(datetime.combine(day, time(0), tzinfo=tz))
    fixed_chair: dict[int, list[tuple[int, int]]] = defaultdict(list)
    fixed_nurse: dict[int, list[tuple[int, int]]] = defaultdict(list)
    movable = []  # (start, obs_end, release, chair kind, skill, chair, nurse, key, chairs, nurses)
    for ds in day_sessions:
        b = ds.session
        s0, e0, r0 = ts(b.start), ts(b.observation_end), ts(b.chair_release_at)
        if ds.started or b.nurse_id is None:
            fixed_chair[b.chair_id].append((s0, r0))
            if b.nurse_id is not None:
                fixed_nurse[b.nurse_id].append((s0, e0))
            continue
        kind, skill = ds.required_chair_kind, ds.required_skill
        cs = [c for c in chairs if kind is None or chairs[c].kind == kind]
        ns = [
            n
            for n in nurses
            if (skill is None or skill in nurses[n].skills) and shifts[n].contains(s0, e0)
        ]
        cs += [b.chair_id] if b.chair_id not in cs else []
        ns += [b.nurse_id] if b.nurse_id not in ns else []
        movable.append((s0, e0, r0, kind, skill, b.chair_id, b.nurse_id, b.id, cs, ns))
    patient_busy = [
        (ts(d.session.start), ts(d.session.observation_end))
        for d in day_sessions
        if d.session.patient_id == request.patient_id
    ]

    def nurse_fits(n, s0, e0, mine) -> bool:
        ivs = mine + fixed_nurse.get(n, [])
        if any(abs(a - s0) < stagger for a, _ in ivs):
            return False
        cap = nurses[n].max_concurrent
        here = [(a, b_) for a, b_ in ivs if a < e0 and s0 < b_]
        if len(here) < cap:
            return True
        for p in [s0] + [a for a, _ in here if a > s0]:
            if sum(1 for a, b_ in here if a <= p < b_) >= cap:
                return False
        return True

    def deal(items, keep_first: bool):
        free_at = dict.fromkeys(chairs, -(1 << 62))
        given: dict[int, list[tuple[int, int]]] = defaultdict(list)
        out = {}
        order = sorted(items, key=lambda x: (x[0], x[3] is None, x[4] is None, x[0] - x[2], x[7]))
        for s0, e0, r0, kind, skill, oc, on, key, cs, ns in order:
            best = None
            for c in cs:
                if free_at.get(c, -(1 << 62)) > s0:
                    continue
                if any(a < r0 and s0 < b_ for a, b_ in fixed_chair.get(c, ())):
                    continue
                spare = int(kind is None and chairs[c].kind != common)
                k = (int(c != oc), spare) if keep_first else (spare, int(c != oc))
                k = (*k, -free_at.get(c, 0), c)
                if best is None or k < best:
                    best = k
            if best is None:
                return None
            bestn = None
            for n in ns:
                if not nurse_fits(n, s0, e0, given[n]):
                    continue
                spare = len(nurses[n].skills) if skill is None else 0
                k = (int(n != on), spare) if keep_first else (spare, int(n != on))
                k = (*k, len(given[n]), n)
                if bestn is None or k < bestn:
                    bestn = k
            if bestn is None:
                return None
            free_at[best[-1]] = r0
            given[bestn[-1]].append((s0, e0))
            out[key] = (s0, best[-1], bestn[-1])
        return out

    skill = request.required_skill
    new_nurses = [
        n
        for n in sorted(nurses)
        if (skill is None or skill in nurses[n].skills)
        and (request.nurse_id is None or n == request.nurse_id)
    ]

    def rank(s: int):
        return (0 if pref is None else abs((s - midnight) // 60 - pref), s)

    for s in sorted(new_starts, key=rank):
        e = s + od
        if any(a < e and s < b_ for a, b_ in patient_busy):
            continue
        ns = [n for n in new_nurses if shifts[n].contains(s, e)]
        if not ns:
            continue
        new = (s, e, e + turnover, request.required_chair_kind, skill, None, None, -1)
        items = [*movable, (*new, new_chairs, ns)]
        for keep_first in (True, False):
            sol = deal(items, keep_first)
            if sol is not None:
                s1, c1, n1 = sol.pop(-1)
                for ds in day_sessions:
                    b = ds.session
                    sol.setdefault(b.id, (ts(b.start), b.chair_id, b.nurse_id))
                return s1, c1, n1, sol
    return None


__all__ = ["DaySession", "FitProposal", "Move", "fit_me_in", "solve_day"]
