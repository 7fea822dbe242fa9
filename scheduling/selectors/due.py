"""Dose history, the next dose due, and the due worklist."""

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
)
from django.db.models.expressions import RawSQL
from django.utils import timezone

from patients.models import Patient, PatientProtocol
from scheduling import engine
from scheduling.models import (
    ACTIVE_STATUSES,
    HELD_STATUSES,
    DoseRule,
    InfusionSession,
    Protocol,
    center_settings_scope,
)
from scheduling.world import center_tz, dose_rule_specs, max_doses

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
