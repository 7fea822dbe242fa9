"""Doses given before this system (imported history)."""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils import timezone

from patients.models import Patient
from scheduling import engine
from scheduling.exceptions import (
    SchedulingError,
)
from scheduling.models import (
    Chair,
    InfusionSession,
    Nurse,
    Protocol,
    SessionStatus,
    center_settings_scope,
)
from scheduling.services.common import (
    _apply_timeline,
    _audit,
    _enrol,
    _require_aware,
)
from scheduling.world import dose_rule_specs


@center_settings_scope
@transaction.atomic
def record_past_dose(
    *,
    patient: Patient,
    protocol: Protocol,
    dose_number: int,
    start: dt.datetime,
    chair: Chair,
    nurse: Nurse | None = None,
    option: str = "standard",
    by=None,
) -> InfusionSession:
    """Enter a dose already given (history from before the center used this system, or demo
    data). Stored as completed; no reminders; the timeline from the catalogue."""
    _require_aware(start)
    if start > timezone.now():
        raise SchedulingError("A past dose cannot be in the future.", field="start")
    specs = dose_rule_specs(protocol)
    rule = engine.rule_for(specs, dose_number, option)
    from scheduling.models import CenterSettings

    timeline = engine.build_timeline(start, rule.timing, CenterSettings.load().turnover_minutes)
    session = InfusionSession(
        patient=patient,
        protocol=protocol,
        dose_number=dose_number,
        option=option,
        chair=chair,
        nurse=nurse,
        status=SessionStatus.COMPLETED,
        completed_at=timeline.observation_end,
    )
    _apply_timeline(
        session, engine.Placement(dose_number, chair.pk, nurse.pk if nurse else None, timeline)
    )
    session.save(force_insert=True)
    _audit(session, "recorded_past_dose", by=by)
    _enrol(patient, protocol)
    return session
