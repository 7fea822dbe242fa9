"""Read paths: availability, session lists, the nurse roster, the day board, the due worklist,
lab readiness. Query counts do not grow with the number of sessions (select_related,
prefetches and one batched lab lookup per page)."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass

from django.db import connection
from django.db.models import (
    BooleanField,
    ExpressionWrapper,
    Prefetch,
    Q,
    QuerySet,
    prefetch_related_objects,
)
from django.db.models.expressions import RawSQL
from django.utils import timezone

from patients import readiness
from patients.models import LabResult, LabStatus, Patient, PatientProtocol
from scheduling import engine
from scheduling.models import (
    ACTIVE_STATUSES,
    HELD_STATUSES,
    CenterSettings,
    Chair,
    DoseRule,
    InfusionSession,
    LabRequirement,
    Protocol,
    SessionStatus,
    center_settings_scope,
)
from scheduling.world import center_tz, day_bounds, dose_rule_specs, load_world, max_doses


def protocol_list(*, active_only: bool = True) -> QuerySet[Protocol]:
    qs = Protocol.objects.prefetch_related(
        Prefetch("dose_rules", queryset=DoseRule.objects.order_by("from_dose", "option")),
        Prefetch("lab_requirements", queryset=LabRequirement.objects.select_related("lab_test")),
    )
    return qs.filter(active=True) if active_only else qs


def protocol_get(*, code: str) -> Protocol:
    return protocol_list(active_only=False).get(code=code)


# --- sessions --------------------------------------------------------------------------------


def session_list(
    *,
    date: dt.date | None = None,
    date_from: dt.date | None = None,
    date_to: dt.date | None = None,
    patient: int | None = None,
    chair: int | None = None,
    nurse: int | None = None,
    status: str | list[str] | None = None,
) -> QuerySet[InfusionSession]:
    """Sessions filtered by center-local dates and resources, in start order."""
    tz = center_tz()
    qs = InfusionSession.objects.select_related("patient", "protocol", "chair", "nurse")
    if date is not None:
        date_from = date_to = date
    if date_from is not None:
        qs = qs.filter(start__gte=day_bounds(date_from, tz)[0])
    if date_to is not None:
        qs = qs.filter(start__lt=day_bounds(date_to, tz)[1])
    if patient is not None:
        qs = qs.filter(patient_id=patient)
    if chair is not None:
        qs = qs.filter(chair_id=chair)
    if nurse is not None:
        qs = qs.filter(nurse_id=nurse)
    if status:
        qs = qs.filter(status__in=[status] if isinstance(status, str) else status)
    return qs.order_by("start", "chair__display_order", "chair__name", "pk")


# --- lab readiness -----------------------------------------------------------------------------


def _requirements_by_protocol(protocol_ids) -> dict[int, list[readiness.Requirement]]:
    out: dict[int, list[readiness.Requirement]] = defaultdict(list)
    for req in LabRequirement.objects.filter(protocol_id__in=set(protocol_ids)).select_related(
        "lab_test"
    ):
        out[req.protocol_id].append(
            readiness.Requirement(req.lab_test.code, req.lab_test.name, req.gate, req.max_age_days)
        )
    return out


def _results_by_patient(patient_ids) -> dict[int, list[readiness.Result]]:
    out: dict[int, list[readiness.Result]] = defaultdict(list)
    rows = LabResult.objects.filter(patient_id__in=set(patient_ids)).values_list(
        "patient_id", "lab_test__code", "collected_on", "status", "flag"
    )
    for pid, code, collected, status, flag in rows:
        out[pid].append(readiness.Result(code, collected, status == LabStatus.RESULTED, flag))
    return out


def _course_start_flags(sessions) -> dict[int, bool]:
    """A session starts a course when it is the first dose of its series or stands alone."""
    firsts = {}
    for s in sessions:
        if s.series_id is None:
            firsts[s.pk] = True
    series_ids = {s.series_id for s in sessions if s.series_id}
    if series_ids:
        first_by_series = {}
        for sid, pk, dose in InfusionSession.objects.filter(series_id__in=series_ids).values_list(
            "series_id", "pk", "dose_number"
        ):
            if sid not in first_by_series or dose < first_by_series[sid][1]:
                first_by_series[sid] = (pk, dose)
        for s in sessions:
            if s.series_id:
                firsts[s.pk] = first_by_series[s.series_id][0] == s.pk
    return firsts


@center_settings_scope
def lab_readiness_for_sessions(sessions) -> dict[int, readiness.Checklist]:
    """Checklist per session id, for any number of sessions in three queries."""
    sessions = list(sessions)
    if not sessions:
        return {}
    center = CenterSettings.load()
    tz = center_tz()
    reqs = _requirements_by_protocol(s.protocol_id for s in sessions)
    results = _results_by_patient(s.patient_id for s in sessions)
    course_start = _course_start_flags(sessions)
    return {
        s.pk: readiness.evaluate(
            reqs.get(s.protocol_id, []),
            results.get(s.patient_id, []),
            dose_number=s.dose_number,
            course_start=course_start.get(s.pk, True),
            session_date=s.start.astimezone(tz).date(),
            each_dose_default_days=center.each_dose_lab_max_age_days,
        )
        for s in sessions
    }


def lab_checklist(*, session: InfusionSession) -> readiness.Checklist:
    return lab_readiness_for_sessions([session])[session.pk]


def rems_status(
    session: InfusionSession, treatment: PatientProtocol | None = None, *, tz=None
) -> str | None:
    """None when the drug has no REMS; else 'checked', 'authorized' (enrolment valid on the day,
    check still to do at the chair) or 'not_authorized'. Pass `tz` when calling in a loop."""
    if not session.protocol.rems_program:
        return None
    if session.rems_checked_at:
        return "checked"
    day = session.start.astimezone(tz or center_tz()).date()
    if treatment and treatment.rems_authorized_until and treatment.rems_authorized_until >= day:
        return "authorized"
    return "not_authorized"


def _treatments_for(sessions) -> dict[tuple[int, int], PatientProtocol]:
    pairs = {(s.patient_id, s.protocol_id) for s in sessions}
    if not pairs:
        return {}
    patient_ids = {p for p, _ in pairs}
    return {
        (t.patient_id, t.protocol_id): t
        for t in PatientProtocol.objects.filter(patient_id__in=patient_ids, active=True)
    }


# --- roster and day board ------------------------------------------------------------------------


@dataclass
class RosterEntry:
    session: InfusionSession
    lab: readiness.Checklist
    rems: str | None
    premed_items: str


def _premed_items(sessions) -> dict[int, str]:
    """The premedication text of each session's dose rule, from one query."""
    rules = defaultdict(list)
    for r in DoseRule.objects.filter(protocol_id__in={s.protocol_id for s in sessions}):
        rules[r.protocol_id].append(r)
    out = {}
    for s in sessions:
        match = [r for r in rules[s.protocol_id] if r.covers(s.dose_number)]
        best = next((r for r in match if r.option == s.option), match[0] if match else None)
        out[s.pk] = best.premed_items if best else ""
    return out


@center_settings_scope
def roster(
    *, day: dt.date, nurse: int | None = None, include_inactive: bool = False
) -> list[RosterEntry]:
    """A nurse's (or the whole floor's) day in start order, with labs and REMS."""
    statuses = (
        None
        if include_inactive
        else [*ACTIVE_STATUSES, SessionStatus.COMPLETED, SessionStatus.NO_SHOW]
    )
    sessions = list(session_list(date=day, nurse=nurse, status=statuses))
    labs = lab_readiness_for_sessions(sessions)
    treatments = _treatments_for(sessions)
    premeds = _premed_items(sessions)
    tz = center_tz()
    return [
        RosterEntry(
            s,
            labs[s.pk],
            rems_status(s, treatments.get((s.patient_id, s.protocol_id)), tz=tz),
            premeds[s.pk],
        )
        for s in sessions
    ]


@dataclass
class BoardRow:
    chair: Chair
    entries: list[RosterEntry]


@dataclass
class Board:
    day: dt.date
    opens: dt.datetime | None
    closes: dt.datetime | None
    rows: list[BoardRow]


@center_settings_scope
def day_board(*, day: dt.date) -> Board:
    """Chairs as rows, the day's active and finished sessions on each."""
    from scheduling.models import OpeningHours

    tz = center_tz()
    entries = roster(day=day)
    by_chair = defaultdict(list)
    for e in entries:
        by_chair[e.session.chair_id].append(e)
    hours = OpeningHours.objects.filter(weekday=day.weekday()).first()
    opens = dt.datetime.combine(day, hours.opens, tzinfo=tz) if hours else None
    closes = dt.datetime.combine(day, hours.closes, tzinfo=tz) if hours else None
    rows = [BoardRow(c, by_chair.get(c.pk, [])) for c in Chair.objects.filter(active=True)]
    return Board(day, opens, closes, rows)


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
) -> list[engine.Slot]:
    """Ranked free options for a dose (or, with series=True, the whole series from it)."""
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
    request = engine.SlotRequest(
        patient_id=patient.pk,
        legs=tuple(legs),
        required_skill=protocol.required_skill or None,
        required_chair_kind=protocol.required_chair_kind or None,
        date_from=date_from,
        date_to=date_to,
        target_date=target,
        preferred_hour=patient.preferred_hour,
        not_before=timezone.now(),
        limit=limit,
        chair_id=chair_id,
        nurse_id=nurse_id,
    )
    return engine.find_slots(
        center=world.center,
        chairs=world.chairs,
        nurses=world.nurses,
        busy=world.busy,
        request=request,
    )


# --- due worklist -----------------------------------------------------------------------------------


@dataclass
class DueItem:
    patient: Patient
    protocol: Protocol
    dose_number: int
    due_date: dt.date
    window_start: dt.date
    window_end: dt.date
    earliest_date: dt.date | None
    overdue_days: int


def dose_history(*, patient: Patient, protocol: Protocol, exclude_id: int | None = None):
    """Doses of a protocol given or booked for a patient, oldest first, as the engine's
    GivenDose on center-local dates. `exclude_id` leaves out a session being moved."""
    qs = InfusionSession.objects.filter(
        patient=patient, protocol=protocol, status__in=HELD_STATUSES
    )
    if exclude_id:
        qs = qs.exclude(pk=exclude_id)
    tz = center_tz()
    return [
        engine.GivenDose(dose_number=n, on=s.astimezone(tz).date())
        for n, s in qs.order_by("dose_number", "start").values_list("dose_number", "start")
    ]


@center_settings_scope
def next_due_for(*, patient: Patient, protocol: Protocol, history=None):
    """The next dose of a patient's protocol and when it is due, from doses given or booked.
    None when nothing is due: lifetime cap reached, or on-demand courses (relapse steroids)."""
    if protocol.courses_as_needed:
        return None
    specs = dose_rule_specs(protocol)
    if history is None:
        history = dose_history(patient=patient, protocol=protocol)
    return engine.next_due(specs, history, max_doses=max_doses(protocol, specs))


def _dose_of(given: tuple[int, dt.date]) -> int:
    return given[0]


# next_due is pure: many patients share a history shape, and the worklist is read all day.
# Keys: (interned dose-rule specs, cap, ((dose_number, day), ...)); cleared when large.
_SPEC_IDS: dict[tuple, int] = {}
_NEXT_DUE: dict[tuple, engine.DueDose | None] = {}
_NEXT_DUE_MAX = 200_000


def _spec_id(specs) -> int:
    return _SPEC_IDS.setdefault(tuple(specs), len(_SPEC_IDS))


def _next_due_memo(spec_id: int, specs, cap, given: tuple):
    key = (spec_id, cap, given)
    try:
        return _NEXT_DUE[key]
    except KeyError:
        pass
    if len(_NEXT_DUE) >= _NEXT_DUE_MAX:
        _NEXT_DUE.clear()
    due = _NEXT_DUE[key] = engine.next_due(
        specs, [engine.GivenDose(n, d) for n, d in given], max_doses=cap
    )
    return due


def _patients_by_id(ids) -> dict[int, Patient]:
    """Patients by id; on PostgreSQL the ids go as one array parameter (hundreds of `IN`
    parameters cost more to build than the query)."""
    if connection.vendor != "postgresql" or not ids:
        return Patient.objects.in_bulk(ids)
    table = Patient._meta.db_table
    qs = Patient.objects.extra(where=[f'"{table}"."id" = ANY(%s)'], params=[list(ids)])
    return {p.pk: p for p in qs}


@center_settings_scope
def due_worklist(*, today: dt.date | None = None, horizon_days: int = 28) -> list[DueItem]:
    """Patients due within the horizon (or overdue) for their next dose and not yet booked,
    overdue first. A patient with a future booking for the protocol is not on the list.

    Four queries whatever the number of patients: protocols with their dose rules (specs built
    once per protocol, not per patient), treatments and doses as plain tuples, then only the
    patients that are on the list."""
    today, protocols, found = _due_found(today, horizon_days)
    patients = _patients_by_id([f[0] for f in found])
    return _due_items(today, protocols, found, patients)


@dataclass(frozen=True)
class PatientRef:
    """The few patient fields a worklist row shows."""

    pk: int
    first_name: str
    last_name: str
    mrn: str

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}"


@center_settings_scope
def due_worklist_refs(*, today: dt.date | None = None, horizon_days: int = 28) -> list[DueItem]:
    """due_worklist, same items in the same order, with `patient` a PatientRef (id, names,
    MRN) instead of a Patient: the API shows fifty of several hundred rows and building every
    Patient cost more than the rest of the request."""
    today, protocols, found = _due_found(today, horizon_days)
    ids = [f[0] for f in found]
    qs = Patient.objects.values_list("id", "first_name", "last_name", "mrn")
    if connection.vendor == "postgresql" and ids:
        qs = qs.extra(where=[f'"{Patient._meta.db_table}"."id" = ANY(%s)'], params=[ids])
    else:
        qs = qs.filter(id__in=ids)
    patients = {row[0]: PatientRef(*row) for row in qs}
    return _due_items(today, protocols, found, patients)


def _due_items(today, protocols, found, patients) -> list[DueItem]:
    items = [
        DueItem(
            patient=patients[patient_id],
            protocol=protocols[protocol_id],
            dose_number=due.dose_number,
            due_date=due_date,
            window_start=due.window_start or due_date,
            window_end=due.window_end or due_date,
            earliest_date=due.earliest_date,
            overdue_days=max(0, (today - (due.window_end or due_date)).days),
        )
        for patient_id, protocol_id, due, due_date in found
    ]
    items.sort(key=lambda i: (-i.overdue_days, i.due_date, i.patient.last_name))
    return items


def _due_found(today, horizon_days):
    """(today, protocols by id, [(patient_id, protocol_id, DueDose, due_date)]) for the worklist."""
    tz = center_tz()
    today = today or timezone.now().astimezone(tz).date()
    protocols = {
        p.pk: p
        for p in Protocol.objects.filter(active=True, courses_as_needed=False).prefetch_related(
            Prefetch("dose_rules", queryset=DoseRule.objects.order_by("from_dose"))
        )
    }
    specs = {pk: dose_rule_specs(p) for pk, p in protocols.items()}
    caps = {pk: max_doses(p, specs[pk]) for pk, p in protocols.items()}
    treatments = PatientProtocol.objects.filter(active=True, protocol_id__in=protocols).values_list(
        "patient_id", "protocol_id", "doses_before_center"
    )
    history = defaultdict(list)
    booked_ahead = set()
    now = timezone.now()
    held = InfusionSession.objects.filter(protocol_id__in=protocols, status__in=HELD_STATUSES)
    if connection.vendor == "postgresql":
        # The local day and "booked ahead" computed by the database: thousands of timestamps
        # through Django's Python timestamptz loader were most of this request's time.
        rows = held.annotate(
            _day=RawSQL('("scheduling_infusionsession"."start" AT TIME ZONE %s)::date', (tz.key,)),
            _ahead=ExpressionWrapper(
                Q(status__in=ACTIVE_STATUSES, start__gte=now), output_field=BooleanField()
            ),
        ).values_list("patient_id", "protocol_id", "dose_number", "_day", "_ahead")
    else:
        rows = (
            (
                pid,
                prot,
                dose,
                start.astimezone(tz).date(),
                status in ACTIVE_STATUSES and start >= now,
            )
            for pid, prot, dose, start, status in held.values_list(
                "patient_id", "protocol_id", "dose_number", "start", "status"
            )
        )
    for pid, prot, dose, day, ahead in rows:
        history[(pid, prot)].append((dose, day))
        if ahead:
            booked_ahead.add((pid, prot))
    spec_ids = {pk: _spec_id(spec) for pk, spec in specs.items()}
    horizon = today + dt.timedelta(days=horizon_days)
    found = []
    for patient_id, protocol_id, doses_before in treatments:
        key = (patient_id, protocol_id)
        if key in booked_ahead:
            continue
        given = history.get(key)
        if not given and doses_before:
            continue  # transferred patient with no dates here: the coordinator books by hand
        given = tuple(sorted(given, key=_dose_of)) if given else ()
        due = _next_due_memo(spec_ids[protocol_id], specs[protocol_id], caps[protocol_id], given)
        if due is None:
            continue
        due_date = due.due_date or today
        if due_date > horizon:
            continue
        found.append((patient_id, protocol_id, due, due_date))
    return today, protocols, found


def patient_search(*, query: str, limit: int = 20) -> QuerySet[Patient]:
    query = (query or "").strip()
    qs = Patient.objects.all()
    if not query:
        return qs.none()
    terms = query.split()
    cond = Q(mrn__iexact=query)
    name = Q()
    for term in terms:
        name &= Q(first_name__icontains=term) | Q(last_name__icontains=term)
    return qs.filter(cond | name).order_by("last_name", "first_name")[:limit]
