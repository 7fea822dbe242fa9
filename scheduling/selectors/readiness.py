"""Lab readiness and REMS status of sessions, in a constant number of queries."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict

from django.utils import timezone

from patients import readiness
from patients.models import LabResult, LabStatus, PatientProtocol
from scheduling.models import (
    CenterSettings,
    InfusionSession,
    LabRequirement,
    center_settings_scope,
)
from scheduling.world import center_tz

# --- lab readiness -----------------------------------------------------------------------------


def _requirements_by_protocol(protocol_ids) -> dict[int, list[readiness.Requirement]]:
    out: dict[int, list[readiness.Requirement]] = defaultdict(list)
    for req in LabRequirement.objects.filter(protocol_id__in=set(protocol_ids)).select_related(
        "lab_test"
    ):
        out[req.protocol_id].append(
            readiness.Requirement(
                req.lab_test.code,
                req.lab_test.name,
                req.gate,
                req.max_age_days,
                patient_name=req.lab_test.name_for_patients,
            )
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
    today = timezone.now().astimezone(tz).date()
    return {
        s.pk: readiness.evaluate(
            reqs.get(s.protocol_id, []),
            results.get(s.patient_id, []),
            dose_number=s.dose_number,
            course_start=course_start.get(s.pk, True),
            session_date=s.start.astimezone(tz).date(),
            each_dose_default_days=center.each_dose_lab_max_age_days,
            today=today,
        )
        for s in sessions
    }


@center_settings_scope
def labs_at_risk(
    *, patient_id: int, protocol_id: int, dose_number: int, on: dt.date, course_start: bool = True
) -> list[readiness.ChecklistItem]:
    """The gating labs (first-dose hepatitis B for Ocrevus/Briumvi, each-dose, periodic...)
    that cannot be resulted in time for a dose booked on `on`: missing or expiring with fewer
    than the lab turnaround days left. Booking such a dose needs an acknowledgement."""
    center = CenterSettings.load()
    today = timezone.now().astimezone(center_tz()).date()
    checklist = readiness.evaluate(
        _requirements_by_protocol([protocol_id]).get(protocol_id, []),
        _results_by_patient([patient_id]).get(patient_id, []),
        dose_number=dose_number,
        course_start=course_start,
        session_date=on,
        each_dose_default_days=center.each_dose_lab_max_age_days,
        today=today,
    )
    return [i for i in checklist.items if i.late]


@center_settings_scope
def slot_labs_at_risk(*, patient_id: int, protocol_id: int, slots) -> list[list[str]]:
    """For each engine slot, the names of the gating labs that cannot be resulted in time for
    its doses: the options list marks those (booking one needs an acknowledgement). Two
    queries for the whole list."""
    center = CenterSettings.load()
    tz = center_tz()
    today = timezone.now().astimezone(tz).date()
    reqs = _requirements_by_protocol([protocol_id]).get(protocol_id, [])
    results = _results_by_patient([patient_id]).get(patient_id, [])
    memo: dict = {}
    out = []
    for slot in slots:
        names: list[str] = []
        for i, p in enumerate(slot.placements):
            key = (p.dose_number, p.timeline.start.astimezone(tz).date(), i == 0)
            if key not in memo:
                checklist = readiness.evaluate(
                    reqs,
                    results,
                    dose_number=key[0],
                    course_start=key[2],
                    session_date=key[1],
                    each_dose_default_days=center.each_dose_lab_max_age_days,
                    today=today,
                )
                memo[key] = [item.test_name for item in checklist.items if item.late]
            names += [n for n in memo[key] if n not in names]
        out.append(names)
    return out


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
