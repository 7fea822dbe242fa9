"""The one path by which hospital data enters the schedule, for HL7 v2 and FHIR alike.

Both readers (interop.hl7v2.read, interop.fhir.transaction) turn what a sender sent into these
plain values; the functions here map lab codes and call the patient services
(patients.registration, patients.results), which validate, audit and skip reminders. Anything
the sender must fix raises InteropError, which becomes an HL7 AE or a FHIR OperationOutcome.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from interop.loinc import coding_system
from interop.models import LoincMapping
from patients.models import Patient
from patients.registration import KEEP, PatientDataError, Registration, register_patient
from patients.results import Recorded, ResultInput, record_lab_results


class InteropError(Exception):
    """The message was read but cannot be applied (HL7 AE, FHIR 4xx with an OperationOutcome).
    `code` is a short machine word: unknown_patient, unmapped_test, invalid."""

    def __init__(self, message: str, *, code: str = "invalid", location: str = ""):
        super().__init__(message)
        self.code = code
        self.location = location


@dataclass(frozen=True)
class PatientData:
    mrn: str
    first_name: str | None = None
    last_name: str | None = None
    date_of_birth: dt.date | None = None
    email: object = KEEP
    mobile: object = KEEP


@dataclass(frozen=True)
class Code:
    code: str
    system: str = ""
    display: str = ""


@dataclass(frozen=True)
class ObservationData:
    """One observation. status: final | preliminary | cancelled. flag: normal | abnormal |
    critical | "" (the patients.models.LabFlag values). collected_at: aware datetime or date."""

    codes: tuple[Code, ...]
    status: str
    collected_at: dt.datetime | dt.date | None
    value: str = ""
    flag: str = ""
    resulted_at: dt.datetime | dt.date | None = None
    order_codes: tuple[Code, ...] = ()  # the panel it belongs to (HL7 OBR-4)
    location: str = ""  # where in the message, for error texts (e.g. "OBX 2")


@dataclass
class Applied:
    patient: Patient | None = None
    summary: list[str] = field(default_factory=list)
    registration: Registration | None = None
    recorded: Recorded | None = None


def local_date(value, tz) -> dt.date:
    if isinstance(value, dt.datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=tz)
        return value.astimezone(tz).date()
    return value


def apply_patient(data: PatientData, *, actor_label: str, reason: str) -> Applied:
    """Register or update the patient (patients.registration)."""
    try:
        reg = register_patient(
            mrn=data.mrn,
            first_name=data.first_name,
            last_name=data.last_name,
            date_of_birth=data.date_of_birth,
            email=data.email,
            mobile=data.mobile,
            actor_label=actor_label,
            reason=reason,
        )
    except PatientDataError as exc:
        raise InteropError(str(exc), code="invalid", location=exc.field) from exc
    what = (
        "registered"
        if reg.created
        else (f"updated {', '.join(reg.changed)}" if reg.changed else "unchanged")
    )
    return Applied(
        patient=reg.patient, summary=[f"patient {reg.patient.mrn} {what}"], registration=reg
    )


def _mapping_for(codes, mappings) -> tuple[bool, object]:
    """(known, lab_test or None) for the first code of `codes` that has a mapping."""
    for c in codes:
        m = mappings.get((coding_system(c.system), c.code))
        if m is not None:
            return True, m.lab_test
    return False, None


def apply_observations(
    mrn: str, observations: list[ObservationData], *, source: str, actor_label: str, reason: str
) -> Applied:
    """Record the lab results of one patient, all or nothing.

    An observation counts for the lab test its own code is mapped to, or else for the test its
    order (panel) code is mapped to; codes mapped to no test are acknowledged and not recorded.
    An observation neither of whose codes is known is an error (unmapped_test): nothing of the
    message is applied, so a manager can add the mapping and replay it whole."""
    from scheduling.world import center_tz

    patient = Patient.objects.filter(mrn=(mrn or "").strip()).first() if mrn else None
    if patient is None:
        raise InteropError(
            f"Unknown patient: no patient with MRN {mrn!r}." if mrn else "The MRN is missing.",
            code="unknown_patient",
            location="PID-3",
        )
    if not observations:
        raise InteropError("The message has no observations.", code="invalid")
    tz = center_tz()
    wanted = {
        (coding_system(c.system), c.code) for o in observations for c in (*o.codes, *o.order_codes)
    }
    mappings = {
        (m.coding_system, m.code): m
        for m in LoincMapping.objects.filter(
            active=True, code__in={code for _, code in wanted}
        ).select_related("lab_test")
    }
    by_test: dict[tuple, ResultInput] = {}
    unmapped, ignored, not_obtained = [], 0, 0
    for obs in observations:
        known, test = _mapping_for(obs.codes, mappings)
        own_code = test is not None
        if not own_code:
            order_known, order_test = _mapping_for(obs.order_codes, mappings)
            if order_known and order_test is not None:
                known, test = True, order_test
            elif order_known:
                known = True
        if not known:
            first = obs.codes[0] if obs.codes else Code("?")
            unmapped.append(f"{first.code} ({first.display or first.system or 'no name'})")
            continue
        if test is None:
            ignored += 1
            continue
        if obs.status == "cancelled":
            not_obtained += 1
            continue
        if obs.collected_at is None:
            raise InteropError(
                f"No collection time for {test.name}.", code="invalid", location=obs.location
            )
        collected_on = local_date(obs.collected_at, tz)
        resulted = obs.status == "final"
        resulted_on = local_date(obs.resulted_at, tz) if obs.resulted_at else None
        key = (test.pk, collected_on)
        previous = by_test.get(key)
        # Several observations of one panel are one result: final only when all are final, the
        # worst flag, the first value.
        if previous is not None:
            resulted = resulted and previous.resulted
            flag = max((previous.flag, obs.flag), key=["", "normal", "abnormal", "critical"].index)
            by_test[key] = ResultInput(
                lab_test=test,
                collected_on=collected_on,
                resulted=resulted,
                resulted_on=max(filter(None, (previous.resulted_on, resulted_on)), default=None),
                value=previous.value,
                flag=flag,
            )
        else:
            by_test[key] = ResultInput(
                lab_test=test,
                collected_on=collected_on,
                resulted=resulted,
                resulted_on=resulted_on,
                # A component's value is not the panel's value: the panel is "in", by its flag.
                value=obs.value if own_code else "",
                flag=obs.flag,
            )
    if unmapped:
        raise InteropError(
            f"Unmapped test: {', '.join(unmapped[:5])} is in no LOINC mapping; add it in admin "
            "and replay the message.",
            code="unmapped_test",
        )
    applied = Applied(patient=patient)
    if not by_test:
        applied.summary.append(
            "no result to record" + (f" ({not_obtained} not obtained)" if not_obtained else "")
        )
        return applied
    try:
        recorded = record_lab_results(
            patient=patient,
            results=list(by_test.values()),
            source=source,
            actor_label=actor_label,
            reason=reason,
        )
    except PatientDataError as exc:
        raise InteropError(str(exc), code="invalid", location=exc.field) from exc
    applied.recorded = recorded
    names = sorted({r.lab_test.name for r in by_test.values()})
    applied.summary.append(
        f"{len(by_test)} result(s) for {patient.mrn}: {'; '.join(names)}"
        + (
            f"; {recorded.reminders_skipped} lab reminder(s) skipped"
            if recorded.reminders_skipped
            else ""
        )
        + (f"; {ignored} component(s) not recorded" if ignored else "")
    )
    return applied
