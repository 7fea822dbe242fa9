"""Record lab results: what the hospital's lab feed (HL7 ORU^R01) and FHIR Observations do.

Readiness is computed from the stored results on every read, so the board, the roster, the
patient page and the charge-nurse digest show a new result at once. What a result changes here,
in the same transaction: a pending lab-checklist reminder that no longer has anything to ask
for is skipped (the dispatcher re-checks at send time as well).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone

from patients.models import LabFlag, LabResult, LabStatus, Patient
from patients.registration import PatientDataError, _audit_many

_VALUE_MAX = LabResult._meta.get_field("value").max_length
_SOURCE_MAX = LabResult._meta.get_field("source").max_length


@dataclass(frozen=True)
class ResultInput:
    """One result as a sender gives it. `resulted` False: drawn, result pending (amber)."""

    lab_test: object  # scheduling.models.LabTest
    collected_on: dt.date
    resulted: bool
    resulted_on: dt.date | None = None
    value: str = ""
    flag: str = ""


@dataclass(frozen=True)
class Recorded:
    results: tuple[LabResult, ...]
    created: int
    updated: int
    reminders_skipped: int


def _local_today() -> dt.date:
    from scheduling.world import center_tz

    return timezone.now().astimezone(center_tz()).date()


@transaction.atomic
def record_lab_results(
    *,
    patient: Patient,
    results: list[ResultInput],
    source: str,
    by=None,
    actor_label: str = "",
    reason: str = "",
) -> Recorded:
    """Store the results for one patient in one transaction (audited), then skip the patient's
    pending lab-checklist reminders whose sessions now have every lab in and current.

    A result is keyed by (patient, test, collection day, source): a final result after a
    preliminary one updates it; a preliminary one never turns a final result back to pending.
    Raises PatientDataError for a collection day in the future or an unknown flag."""
    if not results:
        raise PatientDataError("No results to record.", field="results")
    source = (source or "")[:_SOURCE_MAX]
    # Lock order of every write path: the patient first.
    Patient.objects.select_for_update(of=("self",)).filter(pk=patient.pk).exists()
    today = _local_today()
    for item in results:
        if item.collected_on > today + dt.timedelta(days=1):
            raise PatientDataError(
                f"The collection date {item.collected_on:%Y-%m-%d} is in the future.",
                field="collected_on",
            )
        if item.flag not in LabFlag.values:
            raise PatientDataError(f"Unknown result flag {item.flag!r}.", field="flag")
    # The rows these results may update, in one read.
    existing = {}
    for row in LabResult.objects.filter(
        patient=patient,
        source=source,
        lab_test__in={item.lab_test.pk for item in results},
        collected_on__in={item.collected_on for item in results},
    ).order_by("-pk"):
        existing[(row.lab_test_id, row.collected_on)] = row  # the oldest row wins
    stored, new_rows, audits, updated = [], [], [], 0
    for item in results:
        status = LabStatus.RESULTED if item.resulted else LabStatus.ORDERED
        resulted_on = None
        if item.resulted:
            resulted_on = max(item.resulted_on or today, item.collected_on)
        fields = {
            "status": status,
            "resulted_on": resulted_on,
            "value": (item.value or "")[:_VALUE_MAX],
            "flag": item.flag,
        }
        row = existing.get((item.lab_test.pk, item.collected_on))
        before = {}
        if row is None:
            row = LabResult(
                patient=patient,
                lab_test=item.lab_test,
                collected_on=item.collected_on,
                source=source,
                **fields,
            )
            new_rows.append(row)
            existing[(item.lab_test.pk, item.collected_on)] = row
        elif row.status == LabStatus.RESULTED and not item.resulted:
            stored.append(row)  # a late preliminary: the final result stands
            continue
        else:
            changed = {k: v for k, v in fields.items() if getattr(row, k) != v}
            if not changed:
                stored.append(row)
                continue
            before = {k: _text(getattr(row, k)) for k in changed}
            for k, v in changed.items():
                setattr(row, k, v)
            if row.pk:
                row.save(update_fields=list(changed))
                updated += 1
        stored.append(row)
        audits.append((row, item, status, before))
    LabResult.objects.bulk_create(new_rows)  # ids are set on the rows (PostgreSQL, SQLite)
    _audit_many(
        patient,
        [
            (
                "lab_result_recorded",
                before,
                {
                    "lab_result_id": row.pk,
                    "lab_test": item.lab_test.code,
                    "collected_on": item.collected_on.isoformat(),
                    "status": status,
                    "flag": item.flag,
                    "source": source,
                },
            )
            for row, item, status, before in audits
        ],
        by=by,
        actor_label=actor_label,
        reason=reason,
    )
    created = len(new_rows)
    skipped = skip_lab_reminders_no_longer_needed(patient=patient)
    return Recorded(tuple(stored), created, updated, skipped)


def _text(value):
    return str(value) if value is not None else None


def skip_lab_reminders_no_longer_needed(*, patient: Patient) -> int:
    """Skip the patient's pending lab-checklist reminders of future sessions whose checklist is
    now all green; returns how many. Reminders already being sent are left to the dispatcher,
    which re-checks the checklist under its own lock."""
    from scheduling import selectors
    from scheduling.models import (
        ACTIVE_STATUSES,
        InfusionSession,
        Reminder,
        ReminderKind,
        ReminderStatus,
    )

    pending = Reminder.objects.filter(
        session__patient=patient,
        session__status__in=ACTIVE_STATUSES,
        session__start__gt=timezone.now(),
        kind=ReminderKind.LAB_CHECKLIST,
        status=ReminderStatus.PENDING,
    )
    session_ids = set(pending.values_list("session_id", flat=True))
    if not session_ids:
        return 0
    checklists = selectors.lab_readiness_for_sessions(
        InfusionSession.objects.filter(pk__in=session_ids)
    )
    done = [sid for sid, checklist in checklists.items() if not checklist.missing]
    if not done:
        return 0
    return pending.filter(session_id__in=done).update(
        status=ReminderStatus.SKIPPED,
        skip_reason="every lab is in and current",
        lease_until=None,
        updated_at=timezone.now(),
    )
