"""Ranked free slots for a patient dose."""

from __future__ import annotations

import datetime as dt

from django.db.models import (
    prefetch_related_objects,
)
from django.utils import timezone

from patients.models import Patient
from scheduling import engine
from scheduling.models import (
    Protocol,
    center_settings_scope,
)
from scheduling.selectors.due import (
    next_due_for,
)
from scheduling.world import dose_rule_specs, load_world

# --- availability ----------------------------------------------------------------------------------


@center_settings_scope
def availability(
    *,
    patient: Patient,
    protocol: Protocol,
    dose_number: int,
    date_from: dt.date,
    date_to: dt.date,
    limit: int = 10,
    option: str = "standard",
    series: bool = False,
    length: int | None = None,
    chair_id: int | None = None,
    nurse_id: int | None = None,
    spread: str | None = None,
    use_template: bool = True,
) -> list[engine.Slot]:
    """Ranked free options for a dose (or, with series=True, the whole series from it).

    Every search honours the patient's availability (must windows filter, wishes and the
    preferred start rank) and, when one is published and `use_template`, the weekly template
    (its starts for the dose's duration class first; long-infusion morning starts protected
    until the release horizon). `spread="days"` gives options for a phone conversation (the
    best of each day first, then morning/afternoon variety); `spread="day"` more options on
    the searched day(s), spaced apart."""
    from patients.availability import availability_for
    from scheduling.planning.holds import held_chair_time
    from scheduling.planning.templates import guide_with_holds, published_guide

    # Read the dose rules once for the specs here and in next_due_for.
    prefetch_related_objects([protocol], "dose_rules")
    specs = dose_rule_specs(protocol)
    if series:
        legs = engine.series_legs(specs, dose_number, option, length)
    else:
        rule = engine.rule_for(specs, dose_number, option)
        legs = (engine.Leg(dose_number=dose_number, day_offset=0, timing=rule.timing),)
    span = max(leg.day_offset for leg in legs)
    world = load_world(date_from=date_from, date_to=date_to + dt.timedelta(days=span))
    due = next_due_for(patient=patient, protocol=protocol)
    target = due.due_date if due and due.dose_number == dose_number else None
    now = timezone.now()
    request = engine.SlotRequest(
        patient_id=patient.pk,
        legs=tuple(legs),
        required_skill=protocol.required_skill or None,
        required_chair_kind=protocol.required_chair_kind or None,
        date_from=date_from,
        date_to=date_to,
        target_date=target,
        not_before=now,
        limit=limit,
        chair_id=chair_id,
        nurse_id=nurse_id,
        availability=availability_for(patient),
        preferred_minute=patient.preferred_minute,
    )
    guide = published_guide(world.center_row) if use_template else None
    busy = world.busy
    if use_template:
        # sent planner proposals hold their chair time (scheduling/planning/holds.py)
        held, own = held_chair_time(world=world, patient_id=patient.pk, now=now)
        busy = busy + held
        if own:
            guide = guide_with_holds(guide, own, world.center_row)
    slots = engine.find_slots(
        center=world.center,
        chairs=world.chairs,
        nurses=world.nurses,
        busy=busy,
        request=request,
        guide=guide,
        now=now,
        spread=spread,
    )
    if target is not None:
        _note_miss(patient, protocol, dose_number, due, date_from, date_to, slots, world.tz)
    return slots


def _note_miss(patient, protocol, dose_number, due, date_from, date_to, slots, tz) -> None:
    """For the analytics: a search over the dose window that offers nothing inside it."""
    lo, hi = due.window_start or due.due_date, due.window_end or due.due_date
    if hi < date_from or lo > date_to:
        return  # the coordinator searched elsewhere on purpose
    if any(lo <= s.start.astimezone(tz).date() <= hi for s in slots):
        return
    from analytics.services import record_search_miss

    record_search_miss(
        patient=patient,
        protocol=protocol,
        dose_number=dose_number,
        date_from=date_from,
        date_to=date_to,
        window_start=due.window_start,
        window_end=due.window_end,
        options_found=len(slots),
        today=timezone.now().astimezone(tz).date(),
    )
