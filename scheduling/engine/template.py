"""Level-loading weekly template: how many starts of each duration class to book in each slot.

Pure Python + ortools CP-SAT, no Django. The manager's template is data (``WeeklyTemplate``,
JSON round-trip); the slot search takes it through a :class:`TemplateGuide`.

Public API (signatures are the contract the planner UI calls)
-------------------------------------------------------------
- ``DURATION_CLASSES``: ``(("le1h", 0, 60), ("1to2h", 60, 120), ("2to4h", 120, 240),
  ("gt4h", 240, None))`` -- (code, exclusive lower, inclusive upper) in *chair minutes* =
  the patient's stay in the chair, premedication + infusion + observation (turnover is the
  center's overhead and is not counted).
- ``duration_class(chair_minutes: int) -> str``
- ``ClassDemand(weekday: int, duration_class: str, count: int, chair_minutes: int,
  preferred_minute: int | None = None)``: expected starts of one class on one weekday, with
  the typical chair minutes of that class (e.g. the mean) and where patients would like them.
- ``demand_from_history(visits, *, weeks: int, due=(), headroom: float = 1.0)
  -> list[ClassDemand]``: visits and due doses are ``(local_start: datetime, chair_minutes)``
  pairs (due ones are placed on their due date's weekday); counts are per week.
- ``build_template(*, demand, hours, chairs: int, nurses: int, max_concurrent: int = 4,
  stagger_minutes: int = 15, slot_minutes: int = 15, turnover_minutes: int = 15,
  time_limit: float = 5.0, workers: int = 2, early_classes=("2to4h", "gt4h"))
  -> WeeklyTemplate``; ``hours`` maps weekday ->
  (open_minute, close_minute) local (missing weekday = closed).
- ``WeeklyTemplate(slot_minutes, hours, starts, class_minutes, status, objective)``:
  ``starts[(weekday, slot_minute, class_code)] = n``; methods ``starts_for(weekday, cls)``,
  ``occupancy_curve(weekday, turnover_minutes=15) -> list[(minute, chairs)]``,
  ``to_json() -> dict`` and ``WeeklyTemplate.from_json(data)`` (what the manager edits and
  publishes; the JSON keys are ``slot_minutes, hours, class_minutes, starts: [{weekday,
  start: "HH:MM", class, count}]``).
- ``TemplateGuide(template, release_hours: int = 72, protected_classes=("2to4h", "gt4h"),
  protect_until_minute: int = 24 * 60, weight: float = 0.5)``: given to
  ``find_slots(..., guide=..., now=...)``. A start the template keeps for the request's class
  (and not yet taken by a booked session of that class) costs nothing, any other start costs
  ``weight`` (about 30 minutes from the preferred time). Until ``release_hours`` before the
  day opens (judged from ``now``), every template start of a protected class (before
  ``protect_until_minute``; 12 * 60 protects only morning starts) is a token that keeps a
  chair over its stay; a booked session of that class consumes the token nearest its start,
  and a request of another class may not take a start that would leave too few chairs for
  the unconsumed tokens. After the horizon anyone may take them. ``holds=[Hold(patient_id,
  start, chair_minutes)]`` (planner proposals sent to patients): for its patient the held
  start costs nothing (the caller passes other patients' holds to the search as busy).

The CP-SAT model (``build_template``), per weekday independently:
- ``n[s, c]`` >= 0 integer: starts of class c at slot s; ``sum_s n[s, c] == count_c`` when it
  fits (otherwise as many as fit, with a large penalty per missing start);
- starts only where the stay ends by close; chairs busy at slot t (turnover included)
  ``<= chairs``; starts per slot ``<= nurses * slot_minutes / stagger_minutes``; patients in
  the chair at t ``<= nurses * max_concurrent``;
- objective (lower is better): 1000 x missing starts + 100 x peak chairs + 20 x peak starts
  per slot + 2 x sum |occ(t) - occ(t-1)| (ramp up, flat, ramp down) + distance of each start
  from its class's preferred minute in slot units + for ``early_classes`` (default 2-4 h and
  > 4 h) the slots after opening of each start (long infusions in the morning).
"""

from __future__ import annotations

import datetime as dt
from bisect import bisect_left
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

DURATION_CLASSES: tuple[tuple[str, int, int | None], ...] = (
    ("le1h", 0, 60),
    ("1to2h", 60, 120),
    ("2to4h", 120, 240),
    ("gt4h", 240, None),
)
CLASS_CODES = tuple(c for c, _, _ in DURATION_CLASSES)
CLASS_LABELS = {"le1h": "≤ 1 h", "1to2h": "1–2 h", "2to4h": "2–4 h", "gt4h": "> 4 h"}
# A typical stay per class when nothing better is known (minutes in the chair).
DEFAULT_CLASS_MINUTES = {"le1h": 60, "1to2h": 120, "2to4h": 240, "gt4h": 330}


def duration_class(chair_minutes: int) -> str:
    """The duration class of a stay of `chair_minutes` (premed + infusion + observation)."""
    for code, lo, hi in DURATION_CLASSES:
        if chair_minutes > lo and (hi is None or chair_minutes <= hi):
            return code
    return CLASS_CODES[0]


@dataclass(frozen=True)
class ClassDemand:
    weekday: int
    duration_class: str
    count: int
    chair_minutes: int
    preferred_minute: int | None = None


def demand_from_history(
    visits: Iterable[tuple[dt.datetime, int]],
    *,
    weeks: int,
    due: Iterable[tuple[dt.datetime, int]] = (),
    headroom: float = 1.0,
) -> list[ClassDemand]:
    """Weekly demand per weekday and class from the last `weeks` weeks of visits plus the
    known due pipeline (each `(local_start, chair_minutes)`); counts are rounded up after
    `headroom` (e.g. 1.1 for 10 % growth). The preferred minute of a class is the median
    start of its visits (due doses have no start of their own, only a day)."""
    weeks = max(1, weeks)
    counts: dict[tuple[int, str], float] = defaultdict(float)
    minutes: dict[tuple[int, str], list[int]] = defaultdict(list)
    starts: dict[tuple[int, str], list[int]] = defaultdict(list)
    for start, cm in visits:
        key = (start.weekday(), duration_class(cm))
        counts[key] += 1 / weeks
        minutes[key].append(cm)
        starts[key].append(start.hour * 60 + start.minute)
    for start, cm in due:
        key = (start.weekday(), duration_class(cm))
        counts[key] += 1 / weeks
        minutes[key].append(cm)
    out = []
    for (wd, cls), n in sorted(counts.items()):
        ms = minutes[(wd, cls)]
        st = sorted(starts[(wd, cls)])
        out.append(
            ClassDemand(
                wd,
                cls,
                int(-(-(n * headroom) // 1)),
                int(round(sum(ms) / len(ms))),
                st[len(st) // 2] if st else None,
            )
        )
    return out


@dataclass
class WeeklyTemplate:
    """Starts per weekday x slot x duration class (a manager reviews and publishes it)."""

    slot_minutes: int
    hours: dict[int, tuple[int, int]]
    starts: dict[tuple[int, int, str], int] = field(default_factory=dict)
    class_minutes: dict[str, int] = field(default_factory=lambda: dict(DEFAULT_CLASS_MINUTES))
    status: str = "manual"
    objective: float | None = None

    def starts_for(self, weekday: int, cls: str) -> dict[int, int]:
        """{slot_minute: count} the template keeps for class `cls` on `weekday`."""
        return {m: n for (wd, m, c), n in self.starts.items() if wd == weekday and c == cls and n}

    def occupancy_curve(self, weekday: int, turnover_minutes: int = 15) -> list[tuple[int, int]]:
        """(minute, chairs busy) at every slot of the weekday if the template were booked."""
        if weekday not in self.hours:
            return []
        o, c = self.hours[weekday]
        sm = self.slot_minutes
        curve = []
        for t in range(o, c, sm):
            busy = 0
            for (wd, m, cls), n in self.starts.items():
                if wd == weekday and m <= t < m + self.class_minutes[cls] + turnover_minutes:
                    busy += n
            curve.append((t, busy))
        return curve

    def to_json(self) -> dict:
        def hhmm(m: int) -> str:
            return f"{m // 60:02d}:{m % 60:02d}"

        return {
            "slot_minutes": self.slot_minutes,
            "hours": {str(wd): [hhmm(o), hhmm(c)] for wd, (o, c) in sorted(self.hours.items())},
            "class_minutes": dict(self.class_minutes),
            "starts": [
                {"weekday": wd, "start": hhmm(m), "class": cls, "count": n}
                for (wd, m, cls), n in sorted(self.starts.items())
                if n
            ],
        }

    @classmethod
    def from_json(cls, data: Mapping) -> WeeklyTemplate:
        """Inverse of to_json; ValueError with a readable message on bad input."""

        def minute(text) -> int:
            hh, _, mm = str(text).partition(":")
            v = int(hh) * 60 + int(mm or 0)
            if not 0 <= v <= 24 * 60:
                raise ValueError(f"time {text!r} is not between 00:00 and 24:00")
            return v

        try:
            sm = int(data.get("slot_minutes", 15))
            if sm <= 0:
                raise ValueError("slot_minutes must be positive")
            hours = {int(wd): (minute(a), minute(b)) for wd, (a, b) in data["hours"].items()}
            cm = {**DEFAULT_CLASS_MINUTES, **dict(data.get("class_minutes") or {})}
            starts: dict[tuple[int, int, str], int] = {}
            for row in data.get("starts", []):
                c = row["class"]
                if c not in CLASS_CODES:
                    raise ValueError(f"class is one of {', '.join(CLASS_CODES)}")
                n = int(row["count"])
                if n < 0:
                    raise ValueError("a count is zero or more")
                key = (int(row["weekday"]), minute(row["start"]), c)
                starts[key] = starts.get(key, 0) + n
        except (KeyError, TypeError, AttributeError) as exc:
            raise ValueError(f"template is missing or misnames a field: {exc}") from exc
        return cls(sm, hours, starts, {k: int(v) for k, v in cm.items()})


def build_template(
    *,
    demand: Iterable[ClassDemand],
    hours: Mapping[int, tuple[int, int]],
    chairs: int,
    nurses: int,
    max_concurrent: int = 4,
    stagger_minutes: int = 15,
    slot_minutes: int = 15,
    turnover_minutes: int = 15,
    time_limit: float = 5.0,
    workers: int = 2,
    early_classes: Iterable[str] = ("2to4h", "gt4h"),
) -> WeeklyTemplate:
    """A level-loading template for `demand` (see the module docstring for the model)."""
    from ortools.sat.python import cp_model

    merged: dict[tuple[int, str], list[ClassDemand]] = defaultdict(list)
    for d in demand:
        if d.count > 0 and d.weekday in hours:
            merged[(d.weekday, d.duration_class)].append(d)
    by_day: dict[int, list[ClassDemand]] = defaultdict(list)
    cmins = dict(DEFAULT_CLASS_MINUTES)
    for (wd, cls), ds in sorted(merged.items()):
        count = sum(d.count for d in ds)
        minutes = int(round(sum(d.chair_minutes * d.count for d in ds) / count))
        prefs = [d.preferred_minute for d in ds if d.preferred_minute is not None]
        by_day[wd].append(ClassDemand(wd, cls, count, minutes, prefs[0] if prefs else None))
        cmins[cls] = minutes
    sm = max(1, slot_minutes)
    starts_per_slot = max(1, nurses * sm // max(1, stagger_minutes))
    out: dict[tuple[int, int, str], int] = {}
    statuses, objective = [], 0.0
    per_day_limit = max(0.5, time_limit / max(1, len(by_day)))
    for wd, rows in sorted(by_day.items()):
        o, c = hours[wd]
        slots = list(range(o, c, sm))
        m = cp_model.CpModel()
        n: dict[tuple[int, str], cp_model.IntVar] = {}
        missing = []
        dur_of = {d.duration_class: d.chair_minutes for d in rows}
        for d in rows:
            # Rows of one class on one weekday are merged (minutes averaged above).
            dur = d.chair_minutes
            cls = d.duration_class
            vars_ = []
            for s in slots:
                if s + dur <= c:
                    key = (s, cls)
                    if key not in n:
                        n[key] = m.NewIntVar(0, d.count, f"n_{s}_{cls}")
                    vars_.append(n[key])
            miss = m.NewIntVar(0, d.count, f"miss_{cls}_{len(missing)}")
            m.Add(sum(vars_) + miss == d.count)
            missing.append(miss)
        occ = []
        starts_at = []
        for t in slots:
            busy = [v for (s, cls), v in n.items() if s <= t < s + dur_of[cls] + turnover_minutes]
            stay = [v for (s, cls), v in n.items() if s <= t < s + dur_of[cls]]
            ot = m.NewIntVar(0, chairs, f"occ_{t}")
            m.Add(ot == sum(busy))
            m.Add(sum(stay) <= nurses * max_concurrent)
            st = [v for (s, _), v in n.items() if s == t]
            m.Add(sum(st) <= starts_per_slot)
            occ.append(ot)
            starts_at.append(sum(st))
        peak = m.NewIntVar(0, chairs, "peak")
        peak_starts = m.NewIntVar(0, starts_per_slot, "peak_starts")
        for ot, st in zip(occ, starts_at, strict=True):
            m.Add(ot <= peak)
            m.Add(st <= peak_starts)
        ramps = []
        for a, b in zip(occ, occ[1:], strict=False):
            r = m.NewIntVar(0, chairs, "")
            m.AddAbsEquality(r, a - b)
            ramps.append(r)
        pref_cost = []
        for d in rows:
            if d.preferred_minute is None:
                continue
            for (s, cls), v in n.items():
                if cls == d.duration_class:
                    pref_cost.append(v * (abs(s - d.preferred_minute) // sm))
        # Long infusions early: a late long start leaves no chair free long enough for the
        # next long one, and mornings are when the day still has room for them.
        early = frozenset(early_classes)
        early_cost = [v * ((s - o) // sm) for (s, cls), v in n.items() if cls in early]
        m.Minimize(
            1000 * sum(missing)
            + 100 * peak
            + 20 * peak_starts
            + 2 * sum(ramps)
            + sum(pref_cost)
            + sum(early_cost)
        )
        solver = cp_model.CpSolver()
        solver.parameters.max_time_in_seconds = per_day_limit
        solver.parameters.num_workers = max(1, min(2, workers))
        res = solver.Solve(m)
        statuses.append(solver.StatusName(res))
        if res in (cp_model.OPTIMAL, cp_model.FEASIBLE):
            objective += solver.ObjectiveValue()
            for (s, cls), v in n.items():
                k = solver.Value(v)
                if k:
                    out[(wd, s, cls)] = out.get((wd, s, cls), 0) + k
    status = (
        "optimal"
        if statuses and all(s == "OPTIMAL" for s in statuses)
        else ("feasible" if out else ("empty" if not statuses else "infeasible"))
    )
    return WeeklyTemplate(sm, dict(hours), out, cmins, status, objective)


@dataclass(frozen=True)
class Hold:
    """A planner proposal sent to its patient: the chair time is held for them.

    ``start`` is timezone-aware in the center's time zone (its date and clock time are the
    local ones); ``chair_minutes`` the stay (turnover is added by the guide)."""

    patient_id: int
    start: dt.datetime
    chair_minutes: int


class TemplateGuide:
    """How the slot search follows a published template (see the module docstring).

    ``day_view(...)`` is what the search calls once per candidate day; it counts what is
    already booked that day from the busy index (class from each session's stay length).

    ``holds`` are planner proposals sent to patients who have not answered yet: for its own
    patient a held start costs nothing, like a template start. The caller keeps the chair
    time of everyone else's holds from the search until the release horizon by passing them
    as busy sessions (chair, nurse and start exactly as planned). Why: the due pipeline is
    known weeks ahead, and a plan made for all of it books everyone only if the patients it
    was made for get the times it chose (booked one by one, early callers take what later
    long infusions needed)."""

    def __init__(
        self,
        template: WeeklyTemplate,
        *,
        release_hours: int = 72,
        protected_classes: Iterable[str] = ("2to4h", "gt4h"),
        protect_until_minute: int = 24 * 60,
        weight: float = 0.5,
        holds: Iterable[Hold] = (),
    ) -> None:
        self.template = template
        self.release_hours = release_hours
        self.protected = frozenset(protected_classes)
        self.protect_until = protect_until_minute
        self.weight = weight
        self.holds: dict[dt.date, list[Hold]] = defaultdict(list)
        for h in holds:
            self.holds[h.start.date()].append(h)

    def released(self, day_open: dt.datetime, now: dt.datetime | None) -> bool:
        """After the release horizon anyone may take protected starts."""
        if now is None:
            return False
        return now >= day_open - dt.timedelta(hours=self.release_hours)

    def day_view(
        self,
        *,
        weekday: int,
        day_open_minute: int,
        booked: list[tuple[int, int]],
        request_class: str,
        released: bool,
        turnover_minutes: int,
        n_points: int,
        step_minutes: int,
        day: dt.date | None = None,
        patient_id: int | None = None,
    ) -> DayGuide:
        """Template starts still free for `request_class` and chairs reserved at each grid
        point (minute day_open_minute + i*step) for protected classes.

        `booked` holds `(local_start_minute, chair_minutes)` of the day's active sessions."""
        t = self.template
        booked_by_slot: dict[tuple[int, str], int] = defaultdict(int)
        sm = t.slot_minutes
        for m, cm in booked:
            booked_by_slot[(m - m % sm, duration_class(cm))] += 1
        free = set()
        for m, n in t.starts_for(weekday, request_class).items():
            if booked_by_slot.get((m, request_class), 0) < n:
                free.add(m)
        reserved = [0] * n_points
        others = self.protected - {request_class}
        if not released and others:
            # Each template start of a protected class (other than the request's own) before
            # protect_until is a token; a booked session of that class consumes the token
            # nearest its start. Unconsumed tokens keep their chairs over their stay: a
            # request may not eat another class's reserve. (Counting coverage per instant
            # instead double-counts a booked session that sits an hour off its token.)
            tokens: dict[str, list[int]] = defaultdict(list)
            for (wd, m, cls), n in t.starts.items():
                if wd == weekday and cls in others and m < self.protect_until:
                    tokens[cls] += [m] * n
            for left in tokens.values():
                left.sort()
            for m, cm in sorted(booked):
                left = tokens.get(duration_class(cm))
                if left:
                    # the nearest token (the earlier one on a tie), by bisection: this runs
                    # for every candidate day of every search
                    j = bisect_left(left, m)
                    if j == len(left) or (j > 0 and m - left[j - 1] <= left[j] - m):
                        j -= 1
                    left.pop(j)
            for cls, left in tokens.items():
                dur = t.class_minutes[cls] + turnover_minutes
                for m in left:
                    lo = max(0, -(-(m - day_open_minute) // step_minutes))
                    hi = min(n_points, -(-(m + dur - day_open_minute) // step_minutes))
                    for i in range(lo, hi):
                        reserved[i] += 1
        for h in self.holds.get(day, ()) if day is not None else ():
            if h.patient_id == patient_id:
                local = h.start.hour * 60 + h.start.minute
                free.add(local - local % sm)
        return DayGuide(frozenset(free), tuple(reserved), self.weight)


@dataclass(frozen=True)
class DayGuide:
    """One day of the guide for one request class."""

    template_starts: frozenset[int]  # local slot minutes kept for the class and still free
    reserved: tuple[int, ...]  # chairs kept for protected classes at each grid point
    weight: float

    def cost(self, local_minute: int) -> float:
        return 0.0 if local_minute in self.template_starts else self.weight


__all__ = [
    "CLASS_CODES",
    "CLASS_LABELS",
    "ClassDemand",
    "DURATION_CLASSES",
    "DayGuide",
    "Hold",
    "TemplateGuide",
    "WeeklyTemplate",
    "build_template",
    "demand_from_history",
    "duration_class",
]
