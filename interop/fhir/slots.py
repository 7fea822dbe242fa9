"""Free slots for FHIR Slot search: the engine's bookable start times per chair.

A slot is a start at which a dose of the given protocol (service-type, dose 1 unless `dose`
says otherwise), or a plain 60-minute visit, fits the chair, a nurse on shift with capacity and
the stagger rule, in opening hours: the same engine search the find-and-book page uses.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import prefetch_related_objects
from django.utils import timezone

from scheduling import engine
from scheduling.models import Chair, Protocol, center_settings_scope
from scheduling.world import dose_rule_specs, load_world

MAX_DAYS = 31
GENERIC_MINUTES = 60


@dataclass(frozen=True)
class FreeSlot:
    chair_id: int
    start: dt.datetime
    end: dt.datetime


class SlotSearchError(ValueError):
    pass


@center_settings_scope
def free_slots(
    *,
    lo: dt.datetime,
    hi: dt.datetime,
    tz,
    chair_ids: list[int] | None,
    protocol: Protocol | None,
    dose_number: int = 1,
) -> list[FreeSlot]:
    """Every free start in [lo, hi) on the chairs asked for (all active chairs by default),
    ordered by start then chair."""
    lo = max(lo, timezone.now())
    if hi <= lo:
        return []
    date_from, date_to = (
        lo.astimezone(tz).date(),
        (hi - dt.timedelta(seconds=1)).astimezone(tz).date(),
    )
    if (date_to - date_from).days >= MAX_DAYS:
        raise SlotSearchError(f"Search at most {MAX_DAYS} days of slots at a time.")
    if protocol is not None:
        prefetch_related_objects([protocol], "dose_rules")
        try:
            rule = engine.rule_for(dose_rule_specs(protocol), dose_number, "standard")
        except ValueError as exc:  # no rule covers that dose
            raise SlotSearchError(f"{protocol.code} has no dose {dose_number}.") from exc
        timing = rule.timing
    else:
        timing = engine.DoseTiming(0, GENERIC_MINUTES, 0)
    chairs = list(
        Chair.objects.filter(active=True, **({"pk__in": chair_ids} if chair_ids else {}))
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    if not chairs:
        return []
    world = load_world(date_from=date_from, date_to=date_to)
    out: list[FreeSlot] = []
    for chair_id in chairs:
        request = engine.SlotRequest(
            patient_id=0,  # no patient yet: only the chair, nurses and hours decide
            legs=(engine.Leg(dose_number=dose_number, day_offset=0, timing=timing),),
            required_skill=(protocol.required_skill or None) if protocol else None,
            required_chair_kind=(protocol.required_chair_kind or None) if protocol else None,
            date_from=date_from,
            date_to=date_to,
            not_before=lo,
            limit=10000,
            chair_id=chair_id,
        )
        for found in engine.find_slots(
            center=world.center,
            chairs=world.chairs,
            nurses=world.nurses,
            busy=world.busy,
            request=request,
        ):
            timeline = found.placements[0].timeline
            if lo <= timeline.start < hi:
                out.append(FreeSlot(chair_id, timeline.start, timeline.observation_end))
    out.sort(key=lambda s: (s.start, s.chair_id))
    return out
