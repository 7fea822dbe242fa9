"""The due pipeline as the planner's requests, and the planner's world over a horizon.

due_requests turns the due worklist (selectors.due) into engine.planner.PlanRequest rows:
legs (a whole series when the due dose starts one, as find-and-book does), the dates the
first leg may take (the dose window inside the horizon; an overdue dose from the first day of
the horizon, flagged as needing an override reason), the patient's availability and the
target (due) date. plan_world loads the center for the horizon with every existing booking
fixed.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from patients.availability import availability_map
from scheduling import engine
from scheduling.engine import planner as eplanner
from scheduling.models import Protocol
from scheduling.selectors import due_worklist
from scheduling.world import World, dose_rule_specs, load_world


@dataclass(frozen=True)
class DueRequest:
    """What the planner was asked for one due dose, and how to book its answer."""

    key: str
    patient_id: int
    protocol: Protocol
    dose_number: int
    option: str
    series: bool
    due_date: dt.date
    window_start: dt.date
    window_end: dt.date
    date_from: dt.date
    date_to: dt.date
    needs_override: bool
    request: eplanner.PlanRequest


def due_requests(
    *, date_from: dt.date, date_to: dt.date, today: dt.date, now: dt.datetime
) -> list[DueRequest]:
    """One request per patient due (or overdue) in the horizon and not booked."""
    horizon_days = max(0, (date_to - today).days)
    items = due_worklist(today=today, horizon_days=horizon_days)
    avail = availability_map(i.patient.pk for i in items)
    specs_by: dict[int, list] = {}
    out = []
    for item in items:
        protocol = item.protocol
        specs = specs_by.get(protocol.pk)
        if specs is None:
            specs = specs_by[protocol.pk] = dose_rule_specs(protocol)
        option = "standard"
        try:
            legs = engine.series_legs(specs, item.dose_number, option, None)
        except ValueError:
            try:
                rule = engine.rule_for(specs, item.dose_number, option)
            except ValueError:
                continue
            legs = (engine.Leg(item.dose_number, 0, rule.timing),)
        lo = max(date_from, item.window_start, item.earliest_date or item.window_start)
        hi = min(date_to, item.window_end)
        needs_override = False
        if lo > hi:
            if item.window_start > date_to:
                continue  # due after the horizon
            # Overdue (the window has passed): the first opening from the horizon's start,
            # booked only with an override reason, as find-and-book would ask.
            lo = max(date_from, item.earliest_date or date_from)
            hi = date_to
            needs_override = True
            if lo > hi:
                continue
        key = f"{item.patient.pk}:{protocol.pk}:{item.dose_number}"
        pa = avail.get(item.patient.pk)
        out.append(
            DueRequest(
                key=key,
                patient_id=item.patient.pk,
                protocol=protocol,
                dose_number=item.dose_number,
                option=option,
                series=len(legs) > 1,
                due_date=item.due_date,
                window_start=item.window_start,
                window_end=item.window_end,
                date_from=lo,
                date_to=hi,
                needs_override=needs_override,
                request=eplanner.PlanRequest(
                    id=key,
                    patient_id=item.patient.pk,
                    legs=tuple(legs),
                    required_skill=protocol.required_skill or None,
                    required_chair_kind=protocol.required_chair_kind or None,
                    date_from=lo,
                    date_to=hi,
                    target_date=max(lo, min(hi, item.due_date)),
                    availability=pa,
                    preferred_minute=pa.preferred_minute if pa else None,
                    not_before=now,
                ),
            )
        )
    return out


def plan_world(
    *, date_from: dt.date, date_to: dt.date, span_days: int = 0
) -> tuple[World, eplanner.PlanWorld]:
    """The center over the horizon (plus the days later legs of a series may reach), every
    active session fixed."""
    world = load_world(date_from=date_from, date_to=date_to + dt.timedelta(days=span_days))
    return world, eplanner.PlanWorld(
        center=world.center, chairs=world.chairs, nurses=world.nurses, busy=tuple(world.busy)
    )
