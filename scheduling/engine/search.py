"""Availability search: ranked slots for a single dose or a multi-leg series.

Candidates
----------
First-leg starts are generated every ``center.slot_step_minutes`` from the opening of each
open window whose local date is in [date_from, date_to], never before ``not_before``, and
only where ``observation_end <= close``. Every further leg starts on
``first local date + leg.day_offset`` at the SAME LOCAL CLOCK TIME (built with zoneinfo, so a
series crossing a DST change keeps 09:00 local). Every leg independently takes any valid
chair and nurse; the unit is offered only if every leg is placed, legs of one unit included
in each other's checks.

Choice per start (deterministic)
--------------------------------
- chair: a chair of the commonest kind first when the protocol needs no particular kind (the
  few beds stay free for those who need them), then best fit, i.e. the eligible free chair
  whose free gap around the session is the smallest (least fragmentation), then least idle
  time before the start, then lowest id;
- nurse: the valid nurse with the fewest session starts that local day, then lowest id.

Score (lower is better) = sum of ``score_parts``
------------------------------------------------
- ``days_from_target`` = 30 x |first-leg local date - target_date| (target_date defaults to
  date_from). One day outweighs the other parts of any normal option.
- ``preferred_time``   = 1.0 per hour between the local start and the preferred minute
  (``request.preferred()``: preferred_minute, else availability.preferred_minute, else
  preferred_hour; 0 if none). The patient comes first: an hour off outweighs a full center.
- ``wishes``           = 4 x the number of the patient's *wish* windows the first leg breaks
  (*must* windows filter every leg: a start outside them is never offered).
- ``peak_load``        = 0.5 x mean fraction of the center's chairs already busy over the
  first leg's [start, observation_end) sampled at the slot step (avoid the midday peak).
- ``nurse_load``       = 0.25 x (n - mean) / (mean + 1), clamped to [-0.25, 0.25], where
  n = chosen nurse's session starts that day and mean = mean over the eligible nurses.
- ``template``         = 0 when a template guide keeps this start for the request's duration
  class (and it is not yet taken), else the guide's weight (0.5); 0 without a guide. Before
  the guide's release horizon, starts that would eat chair capacity kept for protected
  (long) morning starts are not offered to shorter infusions.

Ties: earlier start, then lower first-leg chair id. The top ``request.limit`` are returned;
``spread="days"`` / ``"day"`` reorder for a phone conversation (see :func:`find_slots`) and
:func:`more_on_day` gives "more on this day".

Signatures (the planner UI's contract):
``find_slots(*, center, chairs, nurses, busy, request, guide=None, now=None, spread=None,
min_gap_minutes=60) -> list[Slot]`` and ``more_on_day(*, center, chairs, nurses, busy,
request, day, guide=None, now=None, limit=8, min_gap_minutes=30) -> list[Slot]``.

Performance: busy sessions are indexed (sorted lists + bisect, epoch seconds); first-leg
candidates come from walking each chair's free gaps per window (work ~ sessions + feasible
starts), and candidates are evaluated in order of a lower bound of their score
(branch and bound), so nurse/patient checks run only for the few starts that can make the top
``limit``. Pass a prebuilt :class:`BusyIndex` as ``busy`` to reuse it across calls.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from .constraints import BusyIndex, Context, Pending, from_ts, pending_of, ts
from .timeline import build_timeline, session_minutes
from .types import BusySession, Center, Chair, Leg, Nurse, Placement, Slot, SlotRequest, Violation

# Weights. The patient comes first: an hour from the preferred time (1.0) outweighs a full
# center (peak 0.5) plus the most unbalanced nurse (0.25); the old weights (0.25 per hour vs 2
# for occupancy) let 4 of 30 busy chairs cost as much as an hour and moved patients away from
# their time by ~50 min on average (issue 11). One day from the target outweighs the rest.
W_DAYS = 30.0
W_PREF = 1.0
W_PEAK = 0.5
W_NURSE = 0.25
W_WISH = 4.0


@dataclass(frozen=True)
class PlaceResult:
    """Result of placing a unit at an explicit start: placements when ok, else violations."""

    placements: tuple[Placement, ...] = ()
    violations: list[Violation] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.violations and bool(self.placements)


def _local_day_bounds(d: date, tz) -> tuple[int, int]:
    a = datetime.combine(d, time(0), tzinfo=tz)
    b = datetime.combine(d + timedelta(days=1), time(0), tzinfo=tz)
    return ts(a), ts(b)


def _leg_start(first_local: datetime, day_offset: int, tz) -> datetime:
    """Same local clock time `day_offset` days after the first leg's local date."""
    d = first_local.date() + timedelta(days=day_offset)
    local = datetime.combine(d, first_local.timetz().replace(tzinfo=None), tzinfo=tz)
    # normalise (a non-existent wall time in a spring-forward gap is shifted by the round trip)
    return from_ts(ts(local), tz)


class _Planner:
    def __init__(self, ctx: Context, required_skill, required_kind, chair_id=None, nurse_id=None):
        self.ctx = ctx
        self.kind = required_kind
        self.skill = required_skill
        self.chair_ids = sorted(
            c.id
            for c in ctx.chairs.values()
            if (required_kind is None or c.kind == required_kind)
            and (chair_id is None or c.id == chair_id)
        )
        self.nurse_list = sorted(
            (
                n
                for n in ctx.nurses.values()
                if (required_skill is None or required_skill in n.skills)
                and (nurse_id is None or n.id == nurse_id)
            ),
            key=lambda n: n.id,
        )
        self._day_counts: dict[date, dict[int, int]] = {}
        # Keep scarce chair kinds (usually the few beds) for the protocols that need them:
        # a dose that may sit anywhere takes a chair of the commonest kind first.
        by_kind: dict[str, int] = {}
        for c in ctx.chairs.values():
            by_kind[c.kind] = by_kind.get(c.kind, 0) + 1
        common = max(by_kind.values(), default=0)
        self.spare = {
            cid: int(required_kind is None and by_kind[ctx.chairs[cid].kind] < common)
            for cid in self.chair_ids
        }

    def day_counts(self, d: date) -> dict[int, int]:
        c = self._day_counts.get(d)
        if c is None:
            a, b = _local_day_bounds(d, self.ctx.tz)
            c = {}
            for n in self.nurse_list:
                t = self.ctx.index.nurse.get(n.id)
                c[n.id] = t.count_starts(a, b) if t is not None else 0
            self._day_counts[d] = c
        return c

    def nurse_part(self, d: date, nurse_id: int) -> float:
        c = self.day_counts(d)
        mean = sum(c.values()) / len(c) if c else 0.0
        v = (c[nurse_id] - mean) / (mean + 1.0)
        return W_NURSE * max(-1.0, min(1.0, v))

    def min_nurse_part(self, d: date) -> float:
        c = self.day_counts(d)
        return min((self.nurse_part(d, n) for n in c), default=0.0)

    def pick_nurse(self, d: date, s: int, e: int, extra=()):
        c = self.day_counts(d)
        for n in sorted(self.nurse_list, key=lambda n: (c[n.id], n.id)):
            if self.ctx.nurse_ok(n, s, e, extra):
                return n
        return None

    def chair_key(self, cid: int, s: int, r: int):
        t = self.ctx.index.chair.get(cid)
        if t is None:
            return (self.spare[cid], 1 << 62, 1 << 62, cid)
        pe = t.prev_end(s)
        ns = t.next_start(r)
        before = s - pe if pe > -(1 << 61) else 1 << 40
        after = ns - r if ns is not None else 1 << 40
        return (self.spare[cid], before + after, before, cid)

    def pick_chair(self, s: int, r: int, extra=()):
        idx = self.ctx.index
        best = None
        for cid in self.chair_ids:
            if idx.chair_clash(cid, s, r, extra) is None:
                k = self.chair_key(cid, s, r)
                if best is None or k < best:
                    best = k
        return None if best is None else best[-1]

    def place_leg(
        self,
        patient_id: int,
        leg: Leg,
        start: datetime,
        extra: list[Pending],
        chair_id: int | None = None,
    ):
        """Place one leg at `start`; returns (Placement, None) or (None, violations)."""
        ctx = self.ctx
        tl = build_timeline(start, leg.timing, ctx.center.turnover_minutes)
        s, e, r = ts(tl.start), ts(tl.observation_end), ts(tl.chair_release_at)
        viol = ctx.hours_and_patient_violations(patient_id, leg.dose_number, s, e, extra)
        if viol:
            return None, viol
        cid = chair_id if chair_id is not None else self.pick_chair(s, r, extra)
        if cid is None:
            return None, self._no_chair(s, r, extra)
        d = from_ts(s, ctx.tz).date()
        nurse = self.pick_nurse(d, s, e, extra)
        if nurse is None:
            return None, self._no_nurse(s, e, extra)
        return Placement(leg.dose_number, cid, nurse.id, tl), None

    def _no_chair(self, s, r, extra) -> list[Violation]:
        ctx = self.ctx
        if len(self.chair_ids) == 1:
            return ctx.chair_violations(self.chair_ids[0], s, r, self.kind, extra) or [
                Violation("chair", "Chair not available.", f"chair:{self.chair_ids[0]}")
            ]
        if not self.chair_ids:
            return [Violation("chair_kind", f"No active chair of kind '{self.kind}'.", None)]
        return [
            Violation(
                "chair",
                f"All {len(self.chair_ids)} eligible chairs are busy at "
                f"{ctx.fmt(s)}-{from_ts(r, ctx.tz):%H:%M} (turnover included).",
                None,
            )
        ]

    def _no_nurse(self, s, e, extra) -> list[Violation]:
        ctx = self.ctx
        if not self.nurse_list:
            return [Violation("skill", f"No nurse has the required skill '{self.skill}'.", None)]
        out: list[Violation] = []
        for n in self.nurse_list:
            out += ctx.nurse_violations(n.id, s, e, self.skill, extra)
        return out

    def place_rest(self, patient_id: int, legs, first: Placement) -> tuple[Placement, ...] | None:
        tz = self.ctx.tz
        first_local = first.timeline.start.astimezone(tz)
        placed = [first]
        extra = [pending_of(patient_id, first)]
        for leg in legs[1:]:
            st = _leg_start(first_local, leg.day_offset, tz)
            p, _ = self.place_leg(patient_id, leg, st, extra)
            if p is None:
                return None
            placed.append(p)
            extra.append(pending_of(patient_id, p))
        return tuple(placed)


def _booked_on_day(index: BusyIndex, o: int, c: int, tz, turnover: int) -> list[tuple[int, int]]:
    """(local start minute, chair minutes) of the sessions starting in [o, c), for the guide."""
    out = []
    for t in index.chair.values():
        for j in t.overlapping(o, c):
            a = t.starts[j]
            if o <= a < c:
                la = from_ts(a, tz)
                out.append((la.hour * 60 + la.minute, (t.ends[j] - a - turnover) // 60))
    return out


def find_slots(
    *,
    center: Center,
    chairs: dict[int, Chair],
    nurses: dict[int, Nurse],
    busy,
    request: SlotRequest,
    guide=None,
    now: datetime | None = None,
    spread: str | None = None,
    min_gap_minutes: int = 60,
) -> list[Slot]:
    """Ranked valid slots for `request` (see the module docstring for the score).

    Keyword options (defaults keep the plain ranked list):
    - ``guide``: a :class:`~scheduling.engine.template.TemplateGuide`; adds the ``template``
      score part and, before its release horizon (judged from ``now``, default
      ``request.not_before``), keeps protected long-infusion morning capacity.
    - ``spread="days"``: options for a phone conversation: the best option of each day first
      (days in score order), then for each day the best of the other half of the day
      (morning < 12:00 <= afternoon), then the rest by score; two options of one day are at
      least ``min_gap_minutes`` apart. ``spread="day"`` ("more on this day"): options of the
      requested dates at least ``min_gap_minutes`` apart, by score.
    """
    if not request.legs:
        return []
    index = busy if isinstance(busy, BusyIndex) else BusyIndex(busy)
    ctx = Context(center, chairs, nurses, index)
    tz = ctx.tz
    pl = _Planner(
        ctx, request.required_skill, request.required_chair_kind, request.chair_id, request.nurse_id
    )
    if not pl.chair_ids or not pl.nurse_list:
        return []
    leg0 = request.legs[0]
    od = session_minutes(leg0.timing) * 60
    cd = od + ctx.turnover
    step = max(1, center.slot_step_minutes) * 60
    nb = ts(request.not_before) if request.not_before is not None else None
    target = request.target_date or request.date_from
    n_all_chairs = max(1, len(chairs))
    pref = request.preferred()
    avail = request.availability if request.availability and request.availability.windows else None
    if now is None:
        now = request.not_before
    req_class = None
    if guide is not None:
        from .template import duration_class

        req_class = duration_class(session_minutes(leg0.timing))
    tmpl_sm = guide.template.slot_minutes if guide is not None else 1

    cands: list[tuple] = []
    win_starts, win_ends = ctx.windows.starts, ctx.windows.ends
    min_np_cache: dict[date, float] = {}
    for o, c in zip(win_starts, win_ends, strict=True):
        d = from_ts(o, tz).date()
        if d < request.date_from or d > request.date_to:
            continue
        kmax = (c - od - o) // step
        if kmax < 0:
            continue
        kmin = 0
        if nb is not None and nb > o:
            kmin = -((o - nb) // step)  # ceil
        if kmin > kmax:
            continue
        smax = o + kmax * step
        # best chair per grid index from each chair's free gaps
        best: dict[int, tuple] = {}
        s_lo = o + kmin * step
        for cid in pl.chair_ids:
            t = index.chair.get(cid)
            gaps_from = s_lo
            segs = []
            if t is not None:
                for j in t.overlapping(s_lo, smax + cd):
                    segs.append((t.starts[j], t.ends[j]))
            prev = o if t is None else max(o, t.prev_end(s_lo))
            segs.append((1 << 62, 1 << 62))
            for a, b in segs:
                lo_s = max(prev, gaps_from)
                hi_s = min(a - cd, smax)
                if hi_s >= lo_s:
                    k0 = -((o - lo_s) // step)
                    k1 = (hi_s - o) // step
                    gap_end = min(a, c + ctx.turnover)
                    for k in range(k0, k1 + 1):
                        s = o + k * step
                        before = s - prev
                        after = max(0, gap_end - (s + cd))
                        key = (pl.spare[cid], before + after, before, cid)
                        cur = best.get(k)
                        if cur is None or key < cur:
                            best[k] = key
                if b > prev:
                    prev = b
        if not best:
            continue
        # occupancy at the grid points of this window, prefix sums
        npts = (c - o) // step + 1
        occ = [index.occupancy(o + i * step) for i in range(npts)]
        pre = [0]
        acc = 0
        for v in occ:
            acc += v
            pre.append(acc)
        span = max(1, -(-od // step))
        cspan = max(1, -(-cd // step))
        days_part = W_DAYS * abs((d - target).days)
        mnp = min_np_cache.get(d)
        if mnp is None:
            mnp = min_np_cache[d] = pl.min_nurse_part(d)
        o_local = from_ts(o, tz)
        o_min = o_local.hour * 60 + o_local.minute
        step_min = step // 60
        dg = None
        if guide is not None:
            dg = guide.day_view(
                weekday=d.weekday(),
                day_open_minute=o_min,
                booked=_booked_on_day(index, o, c, tz, ctx.turnover),
                request_class=req_class,
                released=guide.released(o_local, now),
                turnover_minutes=center.turnover_minutes,
                n_points=npts,
                step_minutes=step_min,
                day=d,
                patient_id=request.patient_id,
            )
        for k, key in best.items():
            s = o + k * step
            lm = o_min + k * step_min
            wish = 0.0
            if avail is not None:
                ls, le = from_ts(s, tz), from_ts(s + od, tz)
                if not avail.allows(ls, le):
                    continue
                wish = W_WISH * avail.wish_misses(ls, le)
            tmpl = 0.0
            if dg is not None:
                if any(dg.reserved):
                    top = min(npts, k + cspan)
                    if any(occ[i] + 1 + dg.reserved[i] > n_all_chairs for i in range(k, top)):
                        continue
                tmpl = dg.cost(lm - lm % tmpl_sm)
            hi = min(npts, k + span)
            peak = W_PEAK * (pre[hi] - pre[k]) / (hi - k) / n_all_chairs
            pref_part = 0.0 if pref is None else W_PREF * abs(lm - pref) / 60
            lb = days_part + pref_part + peak + mnp + wish + tmpl
            cands.append((lb, s, key[-1], days_part, pref_part, peak, d, wish, tmpl))

    cands.sort(key=lambda x: (x[0], x[1], x[2]))
    limit = max(0, request.limit)
    if limit == 0:
        return []

    def evaluate(cand) -> Slot | None:
        _lb, s, cid, days_part, pref_part, peak, d, wish, tmpl = cand
        e = s + od
        if index.patient_clash(request.patient_id, s, e) is not None:
            return None
        nurse = pl.pick_nurse(d, s, e)
        if nurse is None:
            return None
        start_dt = from_ts(s, tz)
        tl = build_timeline(start_dt, leg0.timing, center.turnover_minutes)
        first = Placement(leg0.dose_number, cid, nurse.id, tl)
        if len(request.legs) > 1:
            placements = pl.place_rest(request.patient_id, request.legs, first)
            if placements is None:
                return None
            if avail is not None and not all(
                avail.allows(p.timeline.start.astimezone(tz), p.timeline.observation_end)
                for p in placements[1:]
            ):
                return None
        else:
            placements = (first,)
        np_ = pl.nurse_part(d, nurse.id)
        parts = {
            "days_from_target": round(days_part, 6),
            "preferred_time": round(pref_part, 6),
            "peak_load": round(peak, 6),
            "nurse_load": round(np_, 6),
            "wishes": round(wish, 6),
            "template": round(tmpl, 6),
        }
        score = round(days_part + pref_part + peak + np_ + wish + tmpl, 6)
        return Slot(start_dt, placements, score, parts)

    def order(xs):
        xs.sort(key=lambda x: (x.score, x.start, x.placements[0].chair_id))
        return xs

    if spread is None:
        results: list[Slot] = []
        kth = None
        for cand in cands:
            if kth is not None and cand[0] > kth + 1e-9:
                break
            slot = evaluate(cand)
            if slot is None:
                continue
            results.append(slot)
            if len(results) >= limit:
                order(results)
                del results[limit:]
                kth = results[-1].score
        return order(results)[:limit]
    return _spread(cands, evaluate, order, spread, limit, min_gap_minutes * 60, tz)


def _spread(cands, evaluate, order, mode, limit, gap, tz) -> list[Slot]:
    """Options spread over days and halves of the day (see find_slots)."""

    def half(t: int) -> int:
        return int(from_ts(t, tz).hour >= 12)

    per_day: dict[date, list[Slot]] = {}
    # "days": at most two options per (day, half of the day); "day": up to `limit` in all
    cap = limit if mode == "day" else 2
    buckets: dict[tuple, int] = {}
    n_buckets = len({(c[6], half(c[1])) for c in cands}) if mode != "day" else 1
    full = 0
    for cand in cands:
        d, s = cand[6], cand[1]
        bkey = (None,) if mode == "day" else (d, half(s))
        if buckets.get(bkey, 0) >= cap:
            continue
        have = per_day.setdefault(d, [])
        if any(abs(ts(x.start) - s) < gap for x in have):
            continue
        slot = evaluate(cand)
        if slot is None:
            continue
        have.append(slot)
        buckets[bkey] = buckets.get(bkey, 0) + 1
        if buckets[bkey] == cap:
            full += 1
            if full >= n_buckets:
                break
    if mode == "day":
        return order([x for xs in per_day.values() for x in xs])[:limit]
    days = sorted(
        (order(xs) for xs in per_day.values() if xs), key=lambda xs: (xs[0].score, xs[0].start)
    )
    firsts, seconds, rest = [], [], []
    for xs in days:
        firsts.append(xs[0])
        h0 = half(ts(xs[0].start))
        other = next((x for x in xs[1:] if half(ts(x.start)) != h0), None)
        if other is not None:
            seconds.append(other)
        rest += [x for x in xs[1:] if x is not other]
    return (firsts + order(seconds) + order(rest))[:limit]


def more_on_day(
    *,
    center: Center,
    chairs: dict[int, Chair],
    nurses: dict[int, Nurse],
    busy,
    request: SlotRequest,
    day: date,
    guide=None,
    now: datetime | None = None,
    limit: int = 8,
    min_gap_minutes: int = 30,
) -> list[Slot]:
    """ "More on this day": up to `limit` options on `day`, at least `min_gap_minutes` apart,
    ranked by score (same rules and score as find_slots)."""
    from dataclasses import replace

    req = replace(request, date_from=day, date_to=day, target_date=day, limit=limit)
    return find_slots(
        center=center,
        chairs=chairs,
        nurses=nurses,
        busy=busy,
        request=req,
        guide=guide,
        now=now,
        spread="day",
        min_gap_minutes=min_gap_minutes,
    )


def check_unit(
    *,
    center: Center,
    chairs: dict[int, Chair],
    nurses: dict[int, Nurse],
    busy,
    patient_id: int,
    placements,
    required_skill: str | None,
    required_chair_kind: str | None,
) -> list[Violation]:
    """All violations of an explicit unit (one or more placements), legs checked against
    the busy sessions and against each other. [] means valid."""
    index = busy if isinstance(busy, BusyIndex) else BusyIndex(busy)
    ctx = Context(center, chairs, nurses, index)
    out: list[Violation] = []
    extra: list[Pending] = []
    for p in placements:
        out += ctx.placement_violations(patient_id, p, required_skill, required_chair_kind, extra)
        extra.append(pending_of(patient_id, p))
    return out


validate_unit = check_unit
explain = check_unit


def place_unit(
    *,
    center: Center,
    chairs: dict[int, Chair],
    nurses: dict[int, Nurse],
    busy,
    patient_id: int,
    legs,
    first_start: datetime,
    required_skill: str | None,
    required_chair_kind: str | None,
    chair_id: int | None = None,
    nurse_id: int | None = None,
) -> PlaceResult:
    """Place `legs` with the first at `first_start` (later legs at the same local clock time),
    choosing chairs/nurses (restricted by chair_id / nurse_id if given, for every leg).
    Returns PlaceResult(placements) or PlaceResult(violations=why not)."""
    index = busy if isinstance(busy, BusyIndex) else BusyIndex(busy)
    ctx = Context(center, chairs, nurses, index)
    pl = _Planner(ctx, required_skill, required_chair_kind, None, nurse_id)
    if chair_id is not None:
        v = []
        if chair_id not in chairs:
            v = [
                Violation("chair", f"Chair {chair_id} is unknown or inactive.", f"chair:{chair_id}")
            ]
        elif required_chair_kind is not None and chairs[chair_id].kind != required_chair_kind:
            v = ctx.chair_violations(chair_id, 0, 0, required_chair_kind)
        if v:
            return PlaceResult((), v)
        pl.chair_ids = [chair_id]
    if nurse_id is not None and not pl.nurse_list:
        if nurse_id not in nurses:
            return PlaceResult(
                (),
                [
                    Violation(
                        "nurse_shift",
                        f"Nurse {nurse_id} is unknown or inactive.",
                        f"nurse:{nurse_id}",
                    )
                ],
            )
        n = nurses[nurse_id]
        return PlaceResult(
            (),
            [
                Violation(
                    "skill",
                    f"Nurse {n.name} lacks the required skill '{required_skill}'.",
                    f"nurse:{nurse_id}",
                )
            ],
        )
    tz = ctx.tz
    first_local = first_start.astimezone(tz)
    placed: list[Placement] = []
    extra: list[Pending] = []
    for leg in legs:
        st = _leg_start(first_local, leg.day_offset, tz)
        p, viol = pl.place_leg(patient_id, leg, st, extra)
        if p is None:
            return PlaceResult((), viol)
        placed.append(p)
        extra.append(pending_of(patient_id, p))
    return PlaceResult(tuple(placed), [])


def busy_from_placements(placements, patient_id: int, first_id: int) -> list[BusySession]:
    """BusySession rows for placements (used by tests, the bench and optimistic callers)."""
    return [
        BusySession(
            first_id + i,
            patient_id,
            p.chair_id,
            p.nurse_id,
            p.timeline.start,
            p.timeline.observation_end,
            p.timeline.chair_release_at,
        )
        for i, p in enumerate(placements)
    ]
