"""GET /fhir/metadata: the CapabilityStatement (R4B model)."""

from __future__ import annotations

from django.conf import settings
from django.utils import timezone
from fhir.resources.R4B.capabilitystatement import CapabilityStatement

from interop.fhir.resources import dump

_SEARCH = {
    "Patient": [
        ("identifier", "token", "MRN: value or urn:infusion-center:mrn|value"),
        ("_id", "token", "Patient id"),
    ],
    "Appointment": [
        ("date", "date", "Start, with eq/ge/gt/le/lt prefixes; repeat for a range"),
        ("patient", "reference", "Patient/{id}"),
        ("status", "token", "booked, arrived, checked-in, fulfilled, cancelled, noshow"),
    ],
    "Schedule": [("active", "token", "true or false"), ("_id", "token", "Schedule id")],
    "Slot": [
        ("start", "date", "Start, with prefixes; default the next 7 days"),
        ("schedule", "reference", "Schedule/{id} (one per chair)"),
        ("service-type", "token", "A protocol code (e.g. ocrelizumab_iv): slots that fit its dose"),
        ("dose", "number", "Dose number for service-type (default 1)"),
    ],
}


def capability_statement(base: str) -> dict:
    resources = []
    for kind, params in _SEARCH.items():
        interactions = [{"code": "search-type"}]
        if kind != "Slot":
            interactions.insert(0, {"code": "read"})
        resources.append(
            {
                "type": kind,
                "interaction": interactions,
                "searchParam": [
                    {"name": name, "type": t, "documentation": doc} for name, t, doc in params
                ],
            }
        )
    resources.append(
        {
            "type": "Observation",
            "documentation": "Created through the transaction only (lab results by LOINC code).",
            "interaction": [{"code": "create"}],
        }
    )
    return dump(
        CapabilityStatement.model_validate(
            {
                "resourceType": "CapabilityStatement",
                "status": "active",
                "date": timezone.now().isoformat(timespec="seconds"),
                "publisher": settings.CENTER_NAME,
                "kind": "instance",
                "software": {"name": "Infusion Center Scheduler"},
                "implementation": {"description": "Infusion center scheduling", "url": base},
                "fhirVersion": "4.0.1",
                "format": ["application/fhir+json", "json"],
                "rest": [
                    {
                        "mode": "server",
                        "security": {
                            "description": "Authorization: Token <key> (the API's tokens; "
                            "manage.py drf_create_token <user>)."
                        },
                        "resource": resources,
                        "interaction": [
                            {
                                "code": "transaction",
                                "documentation": "Patient and Observation (LOINC) entries, "
                                "applied like the HL7 feed, all or nothing.",
                            }
                        ],
                    }
                ],
            }
        )
    )
