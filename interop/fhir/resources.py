"""Our rows as FHIR resources, built (and so validated) with fhir.resources' R4B models."""

from __future__ import annotations

import datetime as dt

from fhir.resources.R4B.appointment import Appointment
from fhir.resources.R4B.bundle import Bundle
from fhir.resources.R4B.operationoutcome import OperationOutcome
from fhir.resources.R4B.patient import Patient as FhirPatient
from fhir.resources.R4B.schedule import Schedule
from fhir.resources.R4B.slot import Slot

from scheduling.models import SessionStatus

MRN_SYSTEM = "urn:infusion-center:mrn"
V2_0203 = "http://terminology.hl7.org/CodeSystem/v2-0203"

# Our session states -> FHIR Appointment.status (and back, for search).
APPOINTMENT_STATUS = {
    SessionStatus.BOOKED: "booked",
    SessionStatus.CONFIRMED: "booked",
    SessionStatus.CHECKED_IN: "arrived",
    SessionStatus.IN_CHAIR: "checked-in",
    SessionStatus.COMPLETED: "fulfilled",
    SessionStatus.CANCELLED: "cancelled",
    SessionStatus.NO_SHOW: "noshow",
}
STATUSES_FOR = {}
for _ours, _theirs in APPOINTMENT_STATUS.items():
    STATUSES_FOR.setdefault(_theirs, []).append(_ours)


def dump(resource) -> dict:
    return resource.model_dump(mode="json", exclude_none=True)


def _iso(value: dt.datetime | None) -> str | None:
    return value.isoformat(timespec="seconds") if value else None


def patient(p) -> dict:
    telecom = []
    if p.mobile:
        telecom.append({"system": "phone", "value": p.mobile, "use": "mobile"})
    if p.email:
        telecom.append({"system": "email", "value": p.email})
    return dump(
        FhirPatient.model_validate(
            {
                "resourceType": "Patient",
                "id": str(p.pk),
                "identifier": [
                    {
                        "use": "usual",
                        "type": {"coding": [{"system": V2_0203, "code": "MR"}], "text": "MRN"},
                        "system": MRN_SYSTEM,
                        "value": p.mrn,
                    }
                ],
                "active": True,
                "name": [{"use": "official", "family": p.last_name, "given": [p.first_name]}],
                "birthDate": p.date_of_birth.isoformat(),
                "telecom": telecom or None,
                "communication": [{"language": {"coding": [{"code": p.language}]}}]
                if p.language
                else None,
            }
        )
    )


def appointment(s) -> dict:
    """A session: start = arrival (chair start), end = end of observation (the patient leaves);
    the chair and nurse as participants by name."""
    participants = [
        {
            "actor": {"reference": f"Patient/{s.patient_id}", "display": s.patient.full_name},
            "status": "accepted",
            "required": "required",
        }
    ]
    if s.chair_id:
        participants.append(
            {
                "actor": {
                    "reference": f"Schedule/{s.chair_id}",
                    "display": f"Chair {s.chair.name}",
                },
                "status": "accepted",
            }
        )
    if s.nurse_id:
        participants.append(
            {
                "type": [
                    {
                        "coding": [
                            {
                                "system": "http://terminology.hl7.org/CodeSystem/v3-ParticipationType",
                                "code": "PPRF",
                            }
                        ]
                    }
                ],
                "actor": {"display": s.nurse.name},
                "status": "accepted",
            }
        )
    end = s.observation_end or s.chair_release_at
    minutes = int((end - s.start).total_seconds() // 60) if end and s.start else None
    data = {
        "resourceType": "Appointment",
        "id": str(s.pk),
        "status": APPOINTMENT_STATUS.get(s.status, "booked"),
        "serviceType": [
            {
                "coding": [{"system": "urn:infusion-center:protocol", "code": s.protocol.code}],
                "text": s.protocol.brand_name,
            }
        ],
        "description": f"{s.protocol.brand_name} dose {s.dose_number}",
        "start": _iso(s.start),
        "end": _iso(end),
        "minutesDuration": minutes if minutes and minutes > 0 else None,
        "created": _iso(s.created_at) if getattr(s, "created_at", None) else None,
        "participant": participants,
    }
    if s.status == SessionStatus.CANCELLED:
        data["cancelationReason"] = {"text": "Cancelled"}
    return dump(Appointment.model_validate(data))


def schedule(chair) -> dict:
    """One Schedule per chair: the chair's bookable time."""
    detail = ", ".join(x for x in (chair.get_kind_display(), chair.area) if x)
    return dump(
        Schedule.model_validate(
            {
                "resourceType": "Schedule",
                "id": str(chair.pk),
                "active": chair.active,
                "actor": [{"display": f"Chair {chair.name}"}],
                "comment": f"Infusion chair {chair.name}" + (f" ({detail})" if detail else ""),
            }
        )
    )


def slot(*, chair_id: int, start: dt.datetime, end: dt.datetime, service: str | None) -> dict:
    data = {
        "resourceType": "Slot",
        "id": f"{chair_id}-{int(start.timestamp())}-{int((end - start).total_seconds() // 60)}",
        "schedule": {"reference": f"Schedule/{chair_id}"},
        "status": "free",
        "start": _iso(start),
        "end": _iso(end),
    }
    if service:
        data["serviceType"] = [
            {"coding": [{"system": "urn:infusion-center:protocol", "code": service}]}
        ]
    return dump(Slot.model_validate(data))


def outcome(issues: list[tuple[str, str, str]]) -> dict:
    """issues: (severity, code, text) -> an OperationOutcome."""
    return dump(
        OperationOutcome.model_validate(
            {
                "resourceType": "OperationOutcome",
                "issue": [
                    {"severity": sev, "code": code, "diagnostics": text[:1000]}
                    for sev, code, text in issues
                ],
            }
        )
    )


def searchset(*, entries: list[dict], base: str, total: int, links: dict[str, str]) -> dict:
    return dump(
        Bundle.model_validate(
            {
                "resourceType": "Bundle",
                "type": "searchset",
                "total": total,
                "link": [{"relation": rel, "url": url} for rel, url in links.items()],
                "entry": [
                    {
                        "fullUrl": f"{base}/{e['resourceType']}/{e['id']}",
                        "resource": e,
                        "search": {"mode": "match"},
                    }
                    for e in entries
                ]
                or None,
            }
        )
    )
