"""Register or update a patient by MRN: what the hospital's ADT feed and FHIR Patient do.

One service for both paths (HL7 ADT^A04/A08/A31 and a FHIR transaction's Patient), so a patient
arriving either way is validated, normalized and audited the same. Staff edits of contact
details have their own services (patients/services.py).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction

from patients.models import Patient, normalize_mobile

# "Leave this field as it is" (HL7 v2: an empty field changes nothing; "" clears it).
KEEP = object()

_NAME_MAX = Patient._meta.get_field("first_name").max_length
_MRN_MAX = Patient._meta.get_field("mrn").max_length
_EMAIL_MAX = Patient._meta.get_field("email").max_length


class PatientDataError(ValueError):
    """The sender's data cannot be stored as given; `field` names what to fix."""

    def __init__(self, message: str, *, field: str = ""):
        super().__init__(message)
        self.field = field


@dataclass(frozen=True)
class Registration:
    patient: Patient
    created: bool
    changed: tuple[str, ...]


def clean_email(value: str) -> str:
    """The address lower-cased in its domain, or PatientDataError."""
    value = (value or "").strip()
    if not value:
        return ""
    if len(value) > _EMAIL_MAX:
        raise PatientDataError("The email address is too long.", field="email")
    try:
        validate_email(value)
    except ValidationError as exc:
        raise PatientDataError(f"{value!r} is not an email address.", field="email") from exc
    local, _, domain = value.rpartition("@")
    return f"{local}@{domain.lower()}"


def clean_mobile(value: str) -> str:
    """E.164 (phonenumbers), or PatientDataError."""
    try:
        return normalize_mobile(value)
    except ValidationError as exc:
        raise PatientDataError(exc.messages[0], field="mobile") from exc


def _clean_name(value: str, field: str) -> str:
    value = " ".join((value or "").split())
    if not value:
        raise PatientDataError(f"The {field.replace('_', ' ')} is missing.", field=field)
    if len(value) > _NAME_MAX:
        raise PatientDataError(
            f"The {field.replace('_', ' ')} is longer than {_NAME_MAX} characters.", field=field
        )
    return value


def _audit(patient: Patient, action: str, before: dict, after: dict, *, by, actor_label, reason):
    _audit_many(patient, [(action, before, after)], by=by, actor_label=actor_label, reason=reason)


def _audit_many(patient: Patient, events, *, by, actor_label, reason) -> None:
    """One audit row per (action, before, after) about this patient, in one INSERT."""
    from scheduling.models import AuditEvent

    if not events:
        return
    actor = by if getattr(by, "is_authenticated", False) else None
    label = (actor_label or ("" if by else "system"))[:120]
    AuditEvent.objects.bulk_create(
        AuditEvent(
            session=None,
            action=action,
            actor=actor,
            actor_label=label,
            before=before or None,
            after={"patient_id": patient.pk, "mrn": patient.mrn, **after},
            reason=reason[:500],
        )
        for action, before, after in events
    )


def _plain(value):
    return value.isoformat() if isinstance(value, dt.date) else value


@transaction.atomic
def register_patient(
    *,
    mrn: str,
    first_name: str | None = None,
    last_name: str | None = None,
    date_of_birth: dt.date | None = None,
    email=KEEP,
    mobile=KEEP,
    by=None,
    actor_label: str = "",
    reason: str = "",
) -> Registration:
    """Create the patient with this MRN, or update the given fields of the one that exists.

    None (names, date of birth) and KEEP (email, mobile) leave a field as it is; "" clears email
    or mobile. A new patient needs names and date of birth. Phone numbers are stored in E.164.
    Audited (patient_registered / patient_updated) when anything changed. Two registrations of
    the same new MRN at once: the second finds the first and updates it."""
    mrn = (mrn or "").strip()
    if not mrn:
        raise PatientDataError("The MRN is missing.", field="mrn")
    if len(mrn) > _MRN_MAX:
        raise PatientDataError(f"The MRN is longer than {_MRN_MAX} characters.", field="mrn")
    wanted: dict = {}
    if first_name is not None:
        wanted["first_name"] = _clean_name(first_name, "first_name")
    if last_name is not None:
        wanted["last_name"] = _clean_name(last_name, "last_name")
    if date_of_birth is not None:
        if not isinstance(date_of_birth, dt.date) or isinstance(date_of_birth, dt.datetime):
            raise PatientDataError("Give the date of birth as a date.", field="date_of_birth")
        if date_of_birth > dt.date.today() or date_of_birth.year < 1900:
            raise PatientDataError("The date of birth is not plausible.", field="date_of_birth")
        wanted["date_of_birth"] = date_of_birth
    if email is not KEEP:
        wanted["email"] = clean_email(email)
    if mobile is not KEEP:
        wanted["mobile"] = clean_mobile(mobile)

    patient = Patient.objects.select_for_update(of=("self",)).filter(mrn=mrn).first()
    if patient is None:
        missing = [f for f in ("first_name", "last_name", "date_of_birth") if f not in wanted]
        if missing:
            raise PatientDataError(
                f"A new patient needs {', '.join(m.replace('_', ' ') for m in missing)}.",
                field=missing[0],
            )
        try:
            with transaction.atomic():
                patient = Patient.objects.create(mrn=mrn, **wanted)
        except IntegrityError:
            # Registered by a concurrent message a moment ago: update that one instead.
            patient = Patient.objects.select_for_update(of=("self",)).filter(mrn=mrn).first()
            if patient is None:
                raise
        else:
            _audit(
                patient,
                "patient_registered",
                {},
                {k: _plain(v) for k, v in wanted.items()},
                by=by,
                actor_label=actor_label,
                reason=reason,
            )
            return Registration(patient, True, tuple(wanted))

    changed = {k: v for k, v in wanted.items() if getattr(patient, k) != v}
    if changed:
        before = {k: _plain(getattr(patient, k)) for k in changed}
        for k, v in changed.items():
            setattr(patient, k, v)
        patient.save(update_fields=list(changed))
        _audit(
            patient,
            "patient_updated",
            before,
            {k: _plain(v) for k, v in changed.items()},
            by=by,
            actor_label=actor_label,
            reason=reason,
        )
    return Registration(patient, False, tuple(changed))
