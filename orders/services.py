"""Writes for orders, authorizations, body size and allergies: keyword-only, one transaction,
an audit row each (AuditEvent with no session; `after` names the patient)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from orders.models import Allergy, Authorization, BodyMeasurement, TreatmentOrder
from patients.models import Patient
from scheduling.exceptions import SchedulingError
from scheduling.models import AuditEvent, Protocol


def _actor(by):
    return by if getattr(by, "is_authenticated", False) else None


def _audit(action: str, *, by, after: dict, before: dict | None = None, reason: str = ""):
    actor = _actor(by)
    AuditEvent.objects.create(
        action=action,
        actor=actor,
        actor_label="" if actor else "system",
        before=before,
        after=after,
        reason=reason,
    )


def _full_clean(obj) -> None:
    try:
        obj.full_clean(exclude=["patient", "protocol", "created_by", "recorded_by"])
    except ValidationError as exc:
        field, messages = next(iter(exc.message_dict.items()))
        field = "non_field_errors" if field == "__all__" else field
        raise SchedulingError(messages[0], field=field) from exc


def order_snapshot(o: TreatmentOrder) -> dict:
    return {
        "patient_id": o.patient_id,
        "order_id": o.pk,
        "protocol": o.protocol.code,
        "dose_mg": str(o.dose_mg) if o.dose_mg is not None else None,
        "dose_mg_per_m2": str(o.dose_mg_per_m2) if o.dose_mg_per_m2 is not None else None,
        "doses": o.doses,
        "end_date": o.end_date.isoformat() if o.end_date else None,
        "provider": o.provider,
        "signed_on": o.signed_on.isoformat(),
        "expires_on": o.expires_on.isoformat(),
        "cancelled": o.cancelled_at is not None,
    }


@transaction.atomic
def create_order(
    *,
    patient: Patient,
    protocol: Protocol,
    provider: str,
    signed_on: dt.date,
    expires_on: dt.date,
    dose_mg: Decimal | None = None,
    dose_mg_per_m2: Decimal | None = None,
    doses: int | None = None,
    end_date: dt.date | None = None,
    notes: str = "",
    by=None,
) -> TreatmentOrder:
    """Record the neurologist's order for a patient and protocol (audited)."""
    order = TreatmentOrder(
        patient=patient,
        protocol=protocol,
        provider=(provider or "").strip(),
        signed_on=signed_on,
        expires_on=expires_on,
        dose_mg=dose_mg,
        dose_mg_per_m2=dose_mg_per_m2,
        doses=doses,
        end_date=end_date,
        notes=(notes or "").strip(),
        created_by=_actor(by),
    )
    _full_clean(order)
    order.save()
    _audit("order_created", by=by, after=order_snapshot(order))
    return order


@transaction.atomic
def cancel_order(*, order: TreatmentOrder, reason: str, by=None) -> TreatmentOrder:
    """Withdraw an order; sessions already booked stay, new bookings need another order."""
    reason = (reason or "").strip()
    if not reason:
        raise SchedulingError("Say why the order is cancelled.", field="reason")
    order = TreatmentOrder.objects.select_for_update().get(pk=order.pk)
    before = order_snapshot(order)
    order.cancelled_at = timezone.now()
    order.save(update_fields=["cancelled_at"])
    _audit("order_cancelled", by=by, before=before, after=order_snapshot(order), reason=reason)
    return order


def authorization_snapshot(a: Authorization) -> dict:
    return {
        "patient_id": a.patient_id,
        "authorization_id": a.pk,
        "payer": a.payer,
        "number": a.number,
        "valid_from": a.valid_from.isoformat(),
        "valid_to": a.valid_to.isoformat(),
        "hcpcs": list(a.hcpcs or []),
        "units_approved": a.units_approved,
        "visits_approved": a.visits_approved,
        "voided": a.voided_at is not None,
    }


def _codes(hcpcs) -> list[str]:
    codes = []
    for c in hcpcs or []:
        c = str(c).strip().upper()
        if not c or len(c) > 16 or not c.isalnum():
            raise SchedulingError(f"{c!r} is not an HCPCS code.", field="hcpcs")
        if c not in codes:
            codes.append(c)
    if not codes:
        raise SchedulingError("Name at least one approved HCPCS code.", field="hcpcs")
    return codes


@transaction.atomic
def create_authorization(
    *,
    patient: Patient,
    payer: str,
    member_id: str,
    number: str,
    valid_from: dt.date,
    valid_to: dt.date,
    hcpcs: list[str],
    plan: str = "",
    units_approved: int | None = None,
    visits_approved: int | None = None,
    notes: str = "",
    by=None,
) -> Authorization:
    """Record a payer's authorization (audited). Use is computed from sessions, not stored."""
    auth = Authorization(
        patient=patient,
        payer=(payer or "").strip(),
        plan=(plan or "").strip(),
        member_id=(member_id or "").strip(),
        number=(number or "").strip(),
        valid_from=valid_from,
        valid_to=valid_to,
        hcpcs=_codes(hcpcs),
        units_approved=units_approved,
        visits_approved=visits_approved,
        notes=(notes or "").strip(),
        created_by=_actor(by),
    )
    _full_clean(auth)
    auth.save()
    _audit("authorization_created", by=by, after=authorization_snapshot(auth))
    return auth


@transaction.atomic
def void_authorization(*, authorization: Authorization, reason: str, by=None) -> Authorization:
    """Withdraw an authorization entered in error or revoked by the payer."""
    reason = (reason or "").strip()
    if not reason:
        raise SchedulingError("Say why the authorization is voided.", field="reason")
    auth = Authorization.objects.select_for_update().get(pk=authorization.pk)
    before = authorization_snapshot(auth)
    auth.voided_at = timezone.now()
    auth.save(update_fields=["voided_at"])
    _audit(
        "authorization_voided",
        by=by,
        before=before,
        after=authorization_snapshot(auth),
        reason=reason,
    )
    return auth


@transaction.atomic
def record_measurement(
    *, patient: Patient, measured_on: dt.date, height_cm, weight_kg, by=None
) -> BodyMeasurement:
    """A dated height and weight; the body surface area follows from the latest one."""
    m = BodyMeasurement(
        patient=patient,
        measured_on=measured_on,
        height_cm=Decimal(str(height_cm)),
        weight_kg=Decimal(str(weight_kg)),
        recorded_by=_actor(by),
    )
    _full_clean(m)
    m.save()
    _audit(
        "body_measured",
        by=by,
        after={
            "patient_id": patient.pk,
            "measured_on": measured_on.isoformat(),
            "height_cm": str(m.height_cm),
            "weight_kg": str(m.weight_kg),
            "bsa": str(m.bsa),
        },
    )
    return m


@transaction.atomic
def record_allergy(
    *, patient: Patient, substance: str, reaction: str = "", severity: str = "", by=None
) -> Allergy:
    """Record an allergy (shown on the roster and the board panel)."""
    substance = (substance or "").strip()
    if not substance:
        raise SchedulingError("Name the substance.", field="substance")
    if Allergy.objects.filter(patient=patient, substance__iexact=substance, active=True).exists():
        raise SchedulingError("That allergy is already recorded.", field="substance")
    a = Allergy(
        patient=patient,
        substance=substance,
        reaction=(reaction or "").strip(),
        severity=severity or "",
        recorded_by=_actor(by),
    )
    _full_clean(a)
    a.save()
    _audit(
        "allergy_recorded",
        by=by,
        after={"patient_id": patient.pk, "substance": substance, "severity": a.severity},
    )
    return a
