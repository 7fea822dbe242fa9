"""Staff edits of a patient's contact details and consent (the front desk's patient page).

Writes only: one transaction, the patient row locked first (the lock order every write path
uses), one audit row with before/after through the registration audit helper. Validation is
the same as the ADT/FHIR path (patients/registration.py): email normalized, mobile in E.164.
"""

from __future__ import annotations

from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.db import transaction
from django.utils import timezone

from patients.models import ConsentSource, Patient, PreferredChannel
from patients.registration import PatientDataError, _audit, _plain, clean_email, clean_mobile

CONTACT_FIELDS = (
    "email",
    "mobile",
    "preferred_channel",
    "language",
    "time_zone",
    "email_consent",
    "sms_consent",
)
_LANGUAGE_MAX = Patient._meta.get_field("language").max_length


def _clean(field: str, value):
    if field == "email":
        return clean_email(value)
    if field == "mobile":
        return clean_mobile(value)
    if field == "preferred_channel":
        if value not in PreferredChannel.values:
            raise PatientDataError("Choose email, text or both.", field=field)
        return value
    if field == "language":
        value = (value or "").strip().lower()
        if not value or len(value) > _LANGUAGE_MAX or not value.replace("-", "").isalpha():
            raise PatientDataError("Give the language as a code such as en or es.", field=field)
        return value
    if field == "time_zone":
        value = (value or "").strip()
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise PatientDataError(f"Unknown time zone {value!r}.", field=field) from None
        return value
    if field in ("email_consent", "sms_consent"):
        if not isinstance(value, bool):
            raise PatientDataError("Consent is yes or no.", field=field)
        return value
    raise PatientDataError(f"{field} is not a contact detail.", field=field)


def consent_stamp(patient: Patient, changed: dict, *, source: str, now=None) -> None:
    """Record on `patient` when (now) and how (`source`) a changed consent answer was given or
    withdrawn. Used by update_contact and by the new-patient form."""
    now = now or timezone.now()
    stamped = False
    for field in ("email_consent", "sms_consent"):
        if field in changed:
            setattr(patient, f"{field}_at", now)
            stamped = True
    if stamped:
        patient.consent_source = source


@transaction.atomic
def update_contact(*, patient: Patient, by, consent_source: str = "", **changes) -> Patient:
    """Change `patient`'s contact details: email, mobile (E.164 via phonenumbers), preferred
    channel, language, time zone, email/SMS consent.

    A changed consent answer records when it was given or withdrawn and how (`consent_source`,
    one of ConsentSource: required then). One audit row `contact_updated` with before/after of
    the changed fields; nothing written when nothing changed. Raises PatientDataError (field
    named) for a value that cannot be stored.
    """
    cleaned = {field: _clean(field, value) for field, value in changes.items()}
    given = patient
    patient = Patient.objects.select_for_update(of=("self",)).get(pk=patient.pk)
    changed = {k: v for k, v in cleaned.items() if getattr(patient, k) != v}
    consent_changed = {"email_consent", "sms_consent"} & set(changed)
    if consent_changed and consent_source not in ConsentSource.values:
        raise PatientDataError(
            "Say how the consent was given or withdrawn.", field="consent_source"
        )
    if not changed:
        return patient
    audited = list(changed) + (["consent_source"] if consent_changed else [])
    before = {k: _plain(getattr(patient, k)) for k in audited}
    for k, v in changed.items():
        setattr(patient, k, v)
    consent_stamp(patient, changed, source=consent_source)
    update_fields = list(changed)
    if consent_changed:
        update_fields += [f"{f}_at" for f in consent_changed] + ["consent_source"]
    patient.save(update_fields=update_fields)
    after = {k: _plain(getattr(patient, k)) for k in audited}
    for f in consent_changed:
        after[f"{f}_at"] = getattr(patient, f"{f}_at").isoformat()
    _audit(patient, "contact_updated", before, after, by=by, actor_label="", reason="")
    # The caller's instance shows the new values (it is what the page renders next).
    for k in update_fields:
        setattr(given, k, getattr(patient, k))
    return patient
