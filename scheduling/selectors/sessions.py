"""The catalogue and session lists."""

from __future__ import annotations

import datetime as dt

from django.db.models import (
    Prefetch,
    QuerySet,
)

from scheduling.models import (
    DoseRule,
    InfusionSession,
    LabRequirement,
    Protocol,
    SessionStatus,
)
from scheduling.world import center_tz, day_bounds


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


def later_open_doses(*, session: InfusionSession, series_only: bool = False) -> list:
    """The patient's later doses of the same protocol still open (booked or confirmed), in dose
    order: what moving or cancelling this dose affects. `series_only` keeps those of its
    series (a cancel settles the rest of an induction or a course). Relapse courses stand
    alone."""
    if series_only and session.series_id is None:
        return []
    if not series_only and session.protocol.courses_as_needed:
        return []
    qs = InfusionSession.objects.filter(
        patient_id=session.patient_id,
        protocol_id=session.protocol_id,
        dose_number__gt=session.dose_number,
        status__in=(SessionStatus.BOOKED, SessionStatus.CONFIRMED),
    )
    if series_only:
        qs = qs.filter(series_id=session.series_id)
    return list(qs.select_related("chair").order_by("dose_number", "start"))
