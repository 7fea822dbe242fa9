"""The planner's second phase: a large-neighbourhood search of our own over time bands.

Why not CP-SAT's own LNS: on 2 workers it runs one neighbourhood at a time beside the full
search, and on this model each took about a second of wall time for its 0.1 s of
deterministic time (mostly presolve of the whole model): 6-8 neighbourhoods in 5 s. The
neighbourhood that fits a clinic day is a *time band*: a patient far from the preferred time
can only come closer if the patients booked around that time, and around the time they would
move to, can shift too. So each step takes one request (drawn in proportion to its minutes
from the preferred time, so the worst placed are tried most), frees every request on the days
it may take whose start or preferred time lies within a band around its start or its preferred
time, fixes the rest where they are, and lets CP-SAT
re-solve that small model from the current plan for 0.1 s with light presolve. A better plan
replaces the current one; the steps run in ``workers`` threads at once (CP-SAT releases the
GIL). One day of 130 requests, 10 s in all (see bench/bench_planner.py).

Pure Python + ortools, no Django: the model and the plan are CP-SAT's, the rest plain data.
"""

from __future__ import annotations

import random
import threading
import time as _time
from collections.abc import Sequence
from dataclasses import dataclass

# a step's own limit and the band's half-width (minutes), drawn 0.5-1.5 x this
STEP_SECONDS = 0.1
MAX_STEP_SECONDS = 2.0
BAND_MINUTES = 15


@dataclass(frozen=True)
class LnsRequest:
    """One request as the search sees it: the index of its start-minute variable, its
    (day, placed-that-day boolean index) pairs and its preferred minute (None: no wish)."""

    minute_var: int
    day_vars: tuple[tuple[object, int], ...]
    preferred: int | None


@dataclass
class LnsResult:
    solution: list[int]
    objective: float
    steps: int
    improvements: int


def improve(
    model,
    solution: Sequence[int],
    objective: float,
    requests: Sequence[LnsRequest],
    *,
    deadline: float,
    workers: int = 2,
    seed: int = 0,
) -> LnsResult:
    """Improve ``solution`` (CP-SAT values by variable index for ``model``, whose objective it
    scores ``objective``; the planner calls it once every request is placed) until
    ``deadline`` (``time.perf_counter()``); returns the best plan found (never worse than the
    one given) and how many steps ran and improved it."""
    from ortools.sat.python import cp_model

    # A step's limit doubles (up to MAX_STEP_SECONDS) each time a step ends without even the
    # current plan back: on 3 weeks (1690 sessions) presolve alone takes longer than 0.1 s.
    best = {"sol": list(solution), "obj": objective, "limit": STEP_SECONDS}
    lock = threading.Lock()
    counts = [0, 0]

    def step(rng: random.Random) -> None:
        with lock:
            sol = best["sol"]
        minute = {i: sol[r.minute_var] for i, r in enumerate(requests)}
        day = {i: next((d for d, p in r.day_vars if sol[p]), None) for i, r in enumerate(requests)}
        weights = [
            1 + (abs(minute[i] - r.preferred) if r.preferred is not None else 0)
            for i, r in enumerate(requests)
        ]
        i0 = rng.choices(range(len(requests)), weights=weights)[0]
        r0 = requests[i0]
        days0 = {d for d, _ in r0.day_vars}
        centres = {minute[i0]} | ({r0.preferred} if r0.preferred is not None else set())
        half = rng.uniform(0.5, 1.5) * BAND_MINUTES

        def freed(i: int, r: LnsRequest) -> bool:
            return any(
                abs(minute[i] - c) <= half
                or (r.preferred is not None and abs(r.preferred - c) <= half)
                for c in centres
            )

        sub = model.clone()
        sub.ClearHints()
        n_free = 0
        for i, r in enumerate(requests):
            if day[i] is None or (day[i] in days0 and freed(i, r)):
                n_free += 1
                continue  # free: not placed (kept free should a caller pass one), or near
            sub.Add(sub.GetIntVarFromProtoIndex(r.minute_var) == minute[i])
            for _, p in r.day_vars:
                sub.Add(sub.GetIntVarFromProtoIndex(p) == sol[p])
        hint = sub.proto.solution_hint
        hint.vars.extend(range(len(sol)))
        hint.values.extend(sol)
        solver = cp_model.CpSolver()
        solver.parameters.num_workers = 1
        solver.parameters.symmetry_level = 0
        solver.parameters.cp_model_probing_level = 0
        solver.parameters.max_time_in_seconds = max(
            0.02, min(best["limit"], deadline - _time.perf_counter())
        )
        res = solver.Solve(sub)
        with lock:
            counts[0] += 1
            if res == cp_model.OPTIMAL and n_free == len(requests):
                best["done"] = True  # everyone was free and this is optimal: nothing to gain
            if res == cp_model.UNKNOWN:
                best["limit"] = min(MAX_STEP_SECONDS, 2 * best["limit"])
            if (
                res in (cp_model.OPTIMAL, cp_model.FEASIBLE)
                and solver.ObjectiveValue() < best["obj"]
            ):
                best["sol"] = list(solver.ResponseProto().solution)
                best["obj"] = solver.ObjectiveValue()
                counts[1] += 1

    def run(k: int) -> None:
        rng = random.Random(seed * 1000 + k)
        while _time.perf_counter() < deadline - 0.03 and not best.get("done"):
            step(rng)

    if requests:
        threads = [threading.Thread(target=run, args=(k,)) for k in range(max(1, workers))]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    return LnsResult(best["sol"], best["obj"], counts[0], counts[1])
