"""POST /fhir: a transaction Bundle of Patient and Observation resources, all or nothing.

Read with the R4B models, turned into interop.apply's plain values, and applied by the same
functions as the HL7 feed (patients.registration, patients.results: audited, reminders skipped).
The Bundle is stored raw as an InboundMessage with its outcome; a Bundle whose identifier was
applied before is answered without applying it again.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
from collections import OrderedDict
from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.utils import timezone
from fhir.resources.R4B.bundle import Bundle
from pydantic import ValidationError

from interop.apply import (
    Code,
    InteropError,
    ObservationData,
    PatientData,
    apply_observations,
    apply_patient,
)
from interop.fhir import resources
from interop.hl7v2.read import _flag
from interop.loinc import coding_system
from interop.models import Channel, InboundMessage, Outcome
from patients.models import Patient
from patients.registration import KEEP
from scheduling.models import center_settings_scope

log = logging.getLogger(__name__)

# Observation.status -> what it means for readiness.
_STATUS = {
    "final": "final",
    "amended": "final",
    "corrected": "final",
    "registered": "preliminary",
    "preliminary": "preliminary",
    "cancelled": "cancelled",
}


class BundleError(ValueError):
    """The Bundle cannot be read or is not what this endpoint takes (400)."""


@dataclass
class Result:
    status: int
    body: dict


def _issue(text: str, code: str = "invalid") -> dict:
    return resources.outcome([("error", code, text)])


def _mrn_of(identifiers) -> str:
    """The MRN among identifiers: our MRN system, type MR, or the only one given."""
    identifiers = list(identifiers or [])
    for ident in identifiers:
        if ident.system == resources.MRN_SYSTEM and ident.value:
            return ident.value
    for ident in identifiers:
        codings = (ident.type.coding if ident.type and ident.type.coding else []) or []
        if any(c.code == "MR" for c in codings) and ident.value:
            return ident.value
    if len(identifiers) == 1 and identifiers[0].value:
        return identifiers[0].value
    return ""


def _patient_data(p, where: str) -> PatientData:
    mrn = _mrn_of(p.identifier)
    if not mrn:
        raise InteropError(f"{where}: Patient.identifier has no MRN.", location=where)
    names = list(p.name or [])
    name = next((n for n in names if n.use == "official"), names[0] if names else None)
    email, mobile = KEEP, KEEP
    phones = [t for t in (p.telecom or []) if t.system in ("phone", "sms") and t.value]
    mobiles = [t for t in phones if t.use == "mobile" or t.system == "sms"]
    if mobiles or phones:
        mobile = (mobiles or phones)[0].value
    emails = [t for t in (p.telecom or []) if t.system == "email" and t.value]
    if emails:
        email = emails[0].value
    return PatientData(
        mrn=mrn,
        first_name=(name.given[0] if name and name.given else None),
        last_name=(name.family if name else None),
        date_of_birth=p.birthDate if isinstance(p.birthDate, dt.date) else None,
        email=email,
        mobile=mobile,
    )


def _value_text(o) -> str:
    if o.valueQuantity is not None:
        q = o.valueQuantity
        return f"{q.value} {q.unit or q.code or ''}".strip()
    if o.valueString is not None:
        return o.valueString
    if o.valueCodeableConcept is not None:
        c = o.valueCodeableConcept
        return c.text or next(
            (x.display or x.code for x in c.coding or [] if x.display or x.code), ""
        )
    if o.valueBoolean is not None:
        return "positive" if o.valueBoolean else "negative"
    if o.valueInteger is not None:
        return str(o.valueInteger)
    return ""


def _observation_data(o, where: str) -> ObservationData:
    status = _STATUS.get(o.status)
    if status is None:
        raise InteropError(
            f"{where}: Observation.status {o.status!r} cannot be recorded.", location=where
        )
    codes = tuple(
        Code(
            code=(c.code or "")[:40],
            system=coding_system(c.system or ""),
            display=(c.display or "")[:200],
        )
        for c in (o.code.coding or [])
        if c.code
    )
    if not codes:
        raise InteropError(f"{where}: Observation.code has no coding.", location=where)
    collected = (
        o.effectiveDateTime
        or (o.effectivePeriod.start if o.effectivePeriod else None)
        or o.effectiveInstant
    )
    flag = ""
    for interp in o.interpretation or []:
        for c in interp.coding or []:
            if c.code:
                flag = _flag(c.code)
                break
    return ObservationData(
        codes=codes,
        status=status,
        collected_at=collected,
        resulted_at=o.issued,
        value=_value_text(o)[:120],
        flag=flag,
        location=where,
    )


def _subject_key(o, full_urls: dict[str, str], where: str):
    """('mrn', value) or ('id', pk) for Observation.subject."""
    ref = o.subject
    if ref is None:
        raise InteropError(f"{where}: Observation.subject is missing.", location=where)
    if ref.reference:
        if ref.reference in full_urls:
            return ("mrn", full_urls[ref.reference])
        if ref.reference.startswith("Patient?identifier="):
            value = ref.reference.split("=", 1)[1]
            return ("mrn", value.split("|", 1)[-1])
        tail = ref.reference.rstrip("/").rsplit("/", 2)
        if len(tail) >= 2 and tail[-2] == "Patient" and tail[-1].isdigit() and len(tail[-1]) <= 18:
            return ("id", int(tail[-1]))
        raise InteropError(
            f"{where}: Observation.subject {ref.reference!r} is not a Patient.", location=where
        )
    if ref.identifier is not None and ref.identifier.value:
        return ("mrn", ref.identifier.value)
    raise InteropError(f"{where}: Observation.subject has no reference.", location=where)


def read_bundle(data) -> Bundle:
    if not isinstance(data, dict) or data.get("resourceType") != "Bundle":
        raise BundleError("POST /fhir takes a Bundle (resourceType Bundle).")
    try:
        bundle = Bundle.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[:3]
        detail = "; ".join(
            f"{'.'.join(str(x) for x in e.get('loc', ()))}: {e.get('msg', '')}" for e in first
        )
        raise BundleError(f"The Bundle is not valid FHIR R4: {detail}"[:900]) from exc
    except Exception as exc:  # the library raises KeyError for an unknown resourceType, ...
        raise BundleError(
            f"The Bundle is not valid FHIR R4 ({type(exc).__name__}: {exc})"[:900]
        ) from exc
    if bundle.type != "transaction":
        raise BundleError(f"Bundle.type is {bundle.type!r}; POST /fhir takes a transaction.")
    if not bundle.entry:
        raise BundleError("The transaction has no entries.")
    return bundle


def _apply(bundle: Bundle, *, actor: str, reason: str, user) -> list[dict]:
    """Apply every entry (inside the caller's transaction); the transaction-response entries."""
    full_urls: dict[str, str] = {}
    patients, observations = [], []
    for n, entry in enumerate(bundle.entry, start=1):
        where = f"entry[{n - 1}]"
        resource = entry.resource
        if resource is None:
            raise InteropError(f"{where} has no resource.", location=where)
        kind = resource.get_resource_type()
        method = (entry.request.method if entry.request else "POST") or "POST"
        if method not in ("POST", "PUT"):
            raise InteropError(
                f"{where}: only POST and PUT are taken, not {method}.", location=where
            )
        if kind == "Patient":
            data = _patient_data(resource, where)
            if entry.fullUrl:
                full_urls[entry.fullUrl] = data.mrn
            if resource.id:
                full_urls[f"Patient/{resource.id}"] = data.mrn
            patients.append((n - 1, data))
        elif kind == "Observation":
            observations.append((n - 1, resource, where))
        else:
            raise InteropError(
                f"{where}: {kind} is not taken here (Patient and Observation are).",
                code="not-supported",
                location=where,
            )
    if patients and not user.has_perm("patients.add_patient"):
        raise PermissionError("Your role may not register patients.")
    if observations and not user.has_perm("patients.add_labresult"):
        raise PermissionError("Your role may not record lab results.")
    responses: dict[int, dict] = {}
    for index, data in patients:
        applied = apply_patient(data, actor_label=actor, reason=reason)
        reg = applied.registration
        responses[index] = {
            "status": "201 Created" if reg.created else "200 OK",
            "location": f"Patient/{reg.patient.pk}",
        }
    by_patient: OrderedDict = OrderedDict()
    for index, resource, where in observations:
        kind, value = _subject_key(resource, full_urls, where)
        if kind == "id":
            mrn = Patient.objects.filter(pk=value).values_list("mrn", flat=True).first()
            if mrn is None:
                raise InteropError(
                    f"{where}: there is no Patient/{value}.", code="unknown_patient", location=where
                )
        else:
            mrn = value
        by_patient.setdefault(mrn, []).append((index, _observation_data(resource, where)))
    for mrn, items in by_patient.items():
        apply_observations(
            mrn, [o for _, o in items], source=actor[:80], actor_label=actor, reason=reason
        )
        for index, _ in items:
            responses[index] = {"status": "201 Created"}
    return [{"response": responses[i]} for i in range(len(bundle.entry))]


def _response_bundle(entries: list[dict]) -> dict:
    return resources.dump(
        Bundle.model_validate(
            {"resourceType": "Bundle", "type": "transaction-response", "entry": entries}
        )
    )


_HTTP_FOR = {"unknown_patient": 422, "unmapped_test": 422, "not-supported": 400, "invalid": 400}
_ISSUE_FOR = {
    "unknown_patient": "not-found",
    "unmapped_test": "code-invalid",
    "not-supported": "not-supported",
    "invalid": "invalid",
}


@center_settings_scope
def process(data, *, raw: str, user) -> Result:
    """The whole POST: read, store, apply once, answer."""
    sender = f"FHIR {user.get_username()}"[:120]
    try:
        bundle = read_bundle(data)
    except BundleError as exc:
        InboundMessage.objects.create(
            channel=Channel.FHIR,
            sender=sender,
            raw=raw,
            outcome=Outcome.REJECTED,
            ack_code="",
            detail=str(exc)[:500],
        )
        return Result(400, _issue(str(exc), "structure"))
    control = (bundle.identifier.value if bundle.identifier and bundle.identifier.value else "")[
        :64
    ]
    reason = f"FHIR transaction {control or bundle.id or ''}".strip()
    with transaction.atomic():
        try:
            with transaction.atomic():
                row = InboundMessage.objects.create(
                    channel=Channel.FHIR,
                    sender=sender,
                    control_id=control,
                    message_type="Bundle/transaction",
                    raw=raw,
                    outcome=Outcome.ERROR,
                )
        except IntegrityError:
            row = InboundMessage.objects.select_for_update().get(
                channel=Channel.FHIR, sender=sender, control_id=control
            )
            row.duplicates += 1
            row.last_duplicate_at = timezone.now()
            row.save(update_fields=["duplicates", "last_duplicate_at"])
            if row.outcome != Outcome.APPLIED:
                return Result(
                    422,
                    _issue(
                        f"Bundle {control} was received before and not applied: {row.detail}",
                        "duplicate",
                    ),
                )
            note = resources.outcome(
                [
                    (
                        "information",
                        "duplicate",
                        f"Bundle {control} was applied before; not applied again.",
                    )
                ]
            )
            return Result(
                200,
                _response_bundle(
                    [{"response": {"status": "200 OK", "outcome": note}} for _ in bundle.entry]
                ),
            )
        try:
            with transaction.atomic():
                entries = _apply(bundle, actor=sender, reason=reason, user=user)
        except PermissionError as exc:
            row.outcome, row.detail = Outcome.ERROR, str(exc)[:500]
            row.save()
            return Result(403, _issue(str(exc), "forbidden"))
        except InteropError as exc:
            row.outcome, row.detail = Outcome.ERROR, str(exc)[:500]
            row.save()
            return Result(
                _HTTP_FOR.get(exc.code, 400), _issue(str(exc), _ISSUE_FOR.get(exc.code, "invalid"))
            )
        except Exception as exc:  # a shape we did not foresee: kept, answered, never a 500
            log.exception("FHIR transaction %s failed", control)
            row.outcome = Outcome.ERROR
            row.detail = f"Could not be applied ({type(exc).__name__})."
            row.save()
            return Result(
                400, _issue(f"The Bundle could not be applied ({type(exc).__name__}).", "exception")
            )
        row.outcome, row.detail = Outcome.APPLIED, f"{len(entries)} entries applied"
        row.save()
    return Result(200, _response_bundle(entries))


def raw_text(body: bytes) -> str:
    try:
        return body.decode("utf-8").replace("\x00", "\\x00")
    except UnicodeDecodeError:
        return json.dumps({"undecodable": True})
