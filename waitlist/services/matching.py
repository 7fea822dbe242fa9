"""Who fits a freed slot: every DESIGN §4 rule through the engine, plus the entry's own terms.

A waitlisted patient fits freed chair time when, at some start inside it:
- the start is inside the entry's days (earliest..latest), with at least the entry's notice
  (min_notice_hours) and the center's minimum lead from now;
- the slot is earlier than the booking of that dose the patient already has (else no use);
- the dose is the patient's next (a new booking) or is that booking (a move); spacing after
  the previous dose holds inside the target window (automatic offers never need an override);
- the whole stay honours the entry's must availability windows;
- an active treatment order (and authorization where needed) covers that day;
- the engine places it on the freed chair with a nurse (hours, chair, nurse shift, capacity,
  stagger, skill, chair kind, patient overlap), the booking being moved left out of the busy
  sessions; later doses of its series move by the same number of days and must fit as well.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.utils import timezone

from patients.models import PatientProtocol
from scheduling import engine
from scheduling.engine.availability import availability_from_json
from scheduling.models import HELD_STATUSES, InfusionSession, SessionStatus
from scheduling.world import World, center_tz, dose_rule_specs, load_world
from waitlist.models import FreedSlot, WaitlistEntry

MOVABLE = (SessionStatus.BOOKED, SessionStatus.CONFIRMED)
# An overdue dose is late whatever day it gets: the earliest freed time beats a later one, so
# an automatic offer may land past the window (never before it, never inside the minimum).
OVERDUE_REASON = "Overdue dose: earliest freed time offered from the waitlist."


@dataclass(frozen=True)
class Fit:
    """Where a waitlisted patient would go: the first leg on the freed chair."""

    entry: WaitlistEntry
    placement: engine.Placement
    session: InfusionSession | None  # the later booking this would move
    later: tuple[tuple[InfusionSession, engine.Placement], ...] = ()  # its series, shifted
    override_reason: str = ""

    @property
    def start(self) -> dt.datetime:
        return self.placement.timeline.start


def current_booking(entry: WaitlistEntry) -> InfusionSession | None:
    """The patient's open future booking of the entry's dose, if any."""
    return (
        InfusionSession.objects.filter(
            patient_id=entry.patient_id,
            protocol_id=entry.protocol_id,
            dose_number=entry.dose_number,
            status__in=MOVABLE,
            start__gt=timezone.now(),
        )
        .order_by("start")
        .first()
    )


def _later_series(session: InfusionSession) -> list[InfusionSession]:
    if session.series_id is None:
        return []
    return list(
        InfusionSession.objects.filter(
            series_id=session.series_id, dose_number__gt=session.dose_number, status__in=MOVABLE
        ).order_by("dose_number")
    )


def _starts(freed: FreedSlot, step_minutes: int):
    t = freed.start
    step = dt.timedelta(minutes=max(step_minutes, 5))
    while t < freed.end:
        yield t
        t += step


class SlotFacts:
    """What matching one freed slot against many entries shares: the day's world and its busy
    index, built once; every candidate's open booking, doses given or booked and doses before
    the center, each read in one query for all of them.

    Why: the dispatcher walks the priority list for each open slot, and most entries do not
    fit; building the engine's busy index and reading each entry's booking and history anew
    for every entry made a cycle cost a few queries and an index build per waitlisted patient
    (the backfill bench spent ~85 % of its walk in fit_entry, most of it there)."""

    def __init__(self, freed: FreedSlot, entries, *, world: World | None = None):
        self.world = world if world is not None else world_for(freed)
        self.index = engine.BusyIndex(self.world.busy)
        self.busy_ids = {b.id for b in self.world.busy}
        self.entries = list(entries)
        self.bookings = current_bookings(self.entries)
        self._held: dict[tuple[int, int], list[tuple[int, int, dt.date]]] | None = None
        self._before_center: dict[tuple[int, int], int] | None = None

    def _load_held(self) -> None:
        """Every candidate's doses given or booked (dose_history's rows), in one query, read
        the first time an entry passes the checks that need no query."""
        tz = center_tz()
        held: dict[tuple[int, int], list[tuple[int, int, dt.date]]] = {}
        for pk, patient_id, protocol_id, n, start in (
            InfusionSession.objects.filter(
                patient_id__in={e.patient_id for e in self.entries}, status__in=HELD_STATUSES
            )
            .order_by("dose_number", "start")
            .values_list("pk", "patient_id", "protocol_id", "dose_number", "start")
        ):
            held.setdefault((patient_id, protocol_id), []).append(
                (pk, n, start.astimezone(tz).date())
            )
        self._held = held

    def history(self, entry: WaitlistEntry, exclude_id: int | None) -> list[engine.GivenDose]:
        """dose_history(patient, protocol, exclude_id) for a candidate, from the shared read."""
        if self._held is None:
            self._load_held()
        rows = self._held.get((entry.patient_id, entry.protocol_id), [])
        return [engine.GivenDose(dose_number=n, on=d) for pk, n, d in rows if pk != exclude_id]

    def next_dose(self, entry: WaitlistEntry) -> int:
        """expected_next_dose(patient, protocol) for a candidate, from the shared reads."""
        if entry.protocol.courses_as_needed:
            return 1
        last = max((g.dose_number for g in self.history(entry, None)), default=0)
        if last == 0:
            if self._before_center is None:  # one active treatment per protocol
                self._before_center = {
                    (pt, pr): n
                    for pt, pr, n in PatientProtocol.objects.filter(
                        patient_id__in={e.patient_id for e in self.entries}, active=True
                    ).values_list("patient_id", "protocol_id", "doses_before_center")
                }
            last = self._before_center.get((entry.patient_id, entry.protocol_id), 0)
        return last + 1

    def index_without(self, moving: list[int]) -> engine.BusyIndex:
        """The busy index with the sessions being moved left out (the shared one when none of
        them is on the slot's day, the usual case: a later booking moves earlier)."""
        if not self.busy_ids.intersection(moving):
            return self.index
        return engine.BusyIndex([b for b in self.world.busy if b.id not in moving])


def current_bookings(entries) -> dict[int, InfusionSession | None]:
    """current_booking for many entries in one query: entry id -> its open future booking."""
    entries = list(entries)
    if not entries:
        return {}
    found: dict[tuple, InfusionSession] = {}
    for s in InfusionSession.objects.filter(
        patient_id__in={e.patient_id for e in entries},
        status__in=MOVABLE,
        start__gt=timezone.now(),
    ).order_by("start", "pk"):
        found.setdefault((s.patient_id, s.protocol_id, s.dose_number), s)
    return {e.pk: found.get((e.patient_id, e.protocol_id, e.dose_number)) for e in entries}


def fit_entry(
    entry: WaitlistEntry,
    freed: FreedSlot,
    *,
    now: dt.datetime,
    min_lead: dt.timedelta,
    world: World | None = None,
    facts: SlotFacts | None = None,
) -> Fit | None:
    """The first start inside `freed` at which `entry` fits, or None (see the module doc).

    `facts` (SlotFacts for the slot, shared by the candidates) saves the per-entry reads.
    The checks that need no query (notice, days, availability windows) run first, so an entry
    that cannot fit costs nothing; history, series and orders are read only for one that might."""
    if facts is None:
        facts = SlotFacts(freed, [entry], world=world)
    world = facts.world
    tz = world.tz
    earliest_start = max(now + min_lead, now + dt.timedelta(hours=entry.min_notice_hours))
    if earliest_start >= freed.end:
        return None
    protocol = entry.protocol
    specs = dose_rule_specs(protocol)
    if entry.pk in facts.bookings:
        session = facts.bookings[entry.pk]
    else:
        session = current_booking(entry)
    if session is not None and session.start <= freed.start:
        return None  # already booked at or before this time
    option = session.option if session is not None else "standard"
    try:
        rule = engine.rule_for(specs, entry.dose_number, option)
    except ValueError:
        return None
    availability = availability_from_json(entry.windows or [])
    starts = []
    for start in _starts(freed, world.center.slot_step_minutes):
        if start < earliest_start:
            continue
        local = start.astimezone(tz)
        if not entry.earliest <= local.date() <= entry.latest:
            continue
        tl = engine.build_timeline(start, rule.timing, world.center.turnover_minutes)
        if not availability.allows(local, tl.observation_end.astimezone(tz)):
            continue
        starts.append((start, local))
    if not starts:
        return None
    if session is None and facts.next_dose(entry) != entry.dose_number:
        return None  # that dose is given, or another comes first
    later = _later_series(session) if session is not None else []
    moving = [s.pk for s in ([session] if session else []) + later]
    history = facts.history(entry, session.pk if session else None)
    history = [g for g in history if g.dose_number < entry.dose_number]
    busy = facts.index_without(moving)
    leg = engine.Leg(dose_number=entry.dose_number, day_offset=0, timing=rule.timing)
    due = None
    if not protocol.courses_as_needed:
        try:
            due = engine.next_due(specs, history, option=option)
        except ValueError:
            return None
    covered: dict[dt.date, bool] = {}
    for start, local in starts:
        override = ""
        if not protocol.courses_as_needed:
            check = engine.check_spacing(specs, history, entry.dose_number, local.date(), option)
            if check.violation is not None:
                continue
            if check.needs_override:
                late = (
                    due is not None and due.window_end is not None and local.date() > due.window_end
                )
                if not late:
                    continue
                override = OVERDUE_REASON
        day = local.date()
        if day not in covered:
            covered[day] = _covered(entry, session, moving, day, option)
        if not covered[day]:
            continue  # no active order / authorization that day: an offer would fail
        result = engine.place_unit(
            center=world.center,
            chairs=world.chairs,
            nurses=world.nurses,
            busy=busy,
            patient_id=entry.patient_id,
            legs=(leg,),
            first_start=start,
            required_skill=protocol.required_skill or None,
            required_chair_kind=protocol.required_chair_kind or None,
            chair_id=freed.chair_id,
        )
        if not result.ok:
            continue
        shifted = _shift_series(entry, session, later, start, tz, specs, history)
        if shifted is None:
            return None  # the series cannot follow: no start in this slot can help
        return Fit(
            entry=entry,
            placement=result.placements[0],
            session=session,
            later=shifted,
            override_reason=override,
        )
    return None


def _covered(entry, session, moving, day, option) -> bool:
    """DESIGN §4 rule 10 (orders and authorizations) for the dose on `day`, read-only (no
    override is given, so nothing is written)."""
    from orders import coverage
    from scheduling.exceptions import BookingConflict, SchedulingError

    try:
        coverage.check(
            patient=entry.patient,
            protocol=entry.protocol,
            doses=[(entry.dose_number, day)],
            option=option,
            exclude_session_ids=moving,
        )
    except (BookingConflict, SchedulingError):
        return False
    return True


def _shift_series(entry, session, later, start, tz, specs, history):
    """Later doses of the moved booking's series, the same number of days earlier, each placed
    by the engine on any chair (their days' world) and spacing-checked; None if one cannot."""
    if not later:
        return ()
    delta_days = (session.start.astimezone(tz).date() - start.astimezone(tz).date()).days
    placed = []
    moving = {session.pk, *(s.pk for s in later)}
    given = list(history) + [engine.GivenDose(entry.dose_number, start.astimezone(tz).date())]
    extra_busy: list[engine.BusySession] = []
    for s in later:
        local = s.start.astimezone(tz)
        day = local.date() - dt.timedelta(days=delta_days)
        new_start = dt.datetime.combine(day, local.timetz().replace(tzinfo=None), tzinfo=tz)
        if not entry.protocol.courses_as_needed:
            check = engine.check_spacing(specs, given, s.dose_number, day, s.option)
            if check.violation is not None or check.needs_override:
                return None
        rule = engine.rule_for(specs, s.dose_number, s.option)
        w = load_world(date_from=day, date_to=day)
        busy = [b for b in w.busy if b.id not in moving] + extra_busy
        result = engine.place_unit(
            center=w.center,
            chairs=w.chairs,
            nurses=w.nurses,
            busy=busy,
            patient_id=entry.patient_id,
            legs=(engine.Leg(dose_number=s.dose_number, day_offset=0, timing=rule.timing),),
            first_start=new_start,
            required_skill=entry.protocol.required_skill or None,
            required_chair_kind=entry.protocol.required_chair_kind or None,
        )
        if not result.ok:
            return None
        p = result.placements[0]
        placed.append((s, p))
        given.append(engine.GivenDose(s.dose_number, day))
        extra_busy += engine.busy_from_placements((p,), entry.patient_id, -len(placed))
    return tuple(placed)


def world_for(freed: FreedSlot) -> World:
    """The engine's world for the freed slot's day (one load shared by every candidate)."""
    from scheduling.world import center_tz

    day = freed.start.astimezone(center_tz()).date()
    return load_world(date_from=day, date_to=day)
