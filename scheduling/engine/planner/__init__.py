"""The due-pipeline planner: one CP-SAT solve proposes a slot for every due, unbooked dose.

Pure Python + ortools CP-SAT, no Django. The package: ``types`` (dataclasses in and out),
``days`` (open days and allowed start minutes), ``warm`` (the greedy warm start), ``solve``
(the model and the solve), ``lns`` (the time-band search of the second phase), ``assign``
(exact chairs and nurses after), ``ripup`` (the last repair), ``stats``.

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
  the chair/nurse assignment and its repair) books fewer than the warm start, or as many at
  more cost, and the warm start is proposed instead; ``objective`` / ``bound`` are the solver's (lower is
  better; ``bound`` is the proven lower bound); ``stats`` has ``booked``, ``requests``,
  ``mean_minutes_from_preferred``, ``peak_to_mean`` (mean over days of peak / mean chairs
  busy in opening hours), ``nurse_load_spread`` (mean over days of max - min sessions per
  nurse on shift), ``build_seconds``, ``greedy_booked``, ``phase1_seconds``, ``lns_steps``,
  ``lns_improvements``, when the solver's plan was judged against the warm start's
  ``solver_plan_cost`` / ``solver_plan_booked`` / ``solver_plan_repaired`` /
  ``solver_plan_ripped_up`` / ``greedy_cost``, and, for the solver's plan, ``repaired`` (requests
  whose solver time no single nurse or chair could take, placed again by the slot search).
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
greedy one fails), so every proposal satisfies every rule of DESIGN §4 (1-6). Those per-group
totals are a relaxation (one nurse at a time cannot be split across two), so a request whose
time no one nurse or chair can take is placed again by the slot search around the rest of
the plan (on 3 weeks of 734 requests, about 90), and the few still without a slot get their
warm-start slot (or another the existing bookings leave) by lifting the proposals in its way
and placing those again, kept only if all of them find a place (``ripup``; 3 weeks: 5-10).

Objective (minimised; the first term dominates, so it is lexicographic in effect):
``-100000 x placed - 60 x inside wishes + |m[r] - preferred| (minutes) + 20 x days from
target + 10 x sum_d peak[d]``. Nurse load imbalance is minimised in the assignment step.
A warm start (the slot search placing requests one by one, least flexible first) is the hint
for the requests it placed, and the plan returned is never worse than it.

The solve, in one time limit: phase one is CP-SAT on the whole objective until everyone with a
candidate start is placed (after a fifth of the limit) or it proves optimality, or at half the
limit once it has a plan. Phase two keeps that plan's placed count as a floor: when everyone
is placed, a time-band LNS of our own on the cost alone (``lns``: free the requests near one
patient's start and preferred time, fix the rest, re-solve for 0.1 s, keep what is better);
otherwise CP-SAT goes on from the plan on the whole objective.
"""

from .solve import plan
from .stats import index_sessions
from .types import PlanRequest, PlanResult, PlanWorld, Proposal, Unplaced

__all__ = [
    "PlanRequest",
    "PlanResult",
    "PlanWorld",
    "Proposal",
    "Unplaced",
    "index_sessions",
    "plan",
]
