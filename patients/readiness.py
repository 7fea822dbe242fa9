"""Lab readiness: is every lab a dose needs in, recent enough on the session day? (DESIGN §4.7)

Pure functions over plain values, so the roster, the checklist email, the patient page and the
API all compute it the same way. Booking is allowed whatever the colour; people act on it.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field, replace

GREEN, AMBER, RED = "green", "amber", "red"
_RANK = {GREEN: 0, AMBER: 1, RED: 2}

# Days a lab needs between the draw and a result the nurse can act on.
LAB_TURNAROUND_DAYS = 3


@dataclass(frozen=True)
class Requirement:
    test_code: str
    test_name: str
    gate: str  # first_dose | each_dose | periodic | course_start
    max_age_days: int | None
    # Plain words for the patient's link page and email (catalogue LabTest.patient_name).
    patient_name: str = ""


@dataclass(frozen=True)
class Result:
    test_code: str
    collected_on: dt.date
    resulted: bool
    flag: str = ""


@dataclass(frozen=True)
class ChecklistItem:
    test_code: str
    test_name: str
    gate: str
    status: str  # green | amber | red
    message: str
    last_collected: dt.date | None = None
    valid_until: dt.date | None = None
    needed_by: dt.date | None = None  # get it drawn by this day (never before today)
    # No time left to draw and result it before the infusion: draw today, and the earliest
    # infusion day a result could be ready for.
    late: bool = False
    suggested_date: dt.date | None = None
    patient_name: str = ""  # what the patient reads instead of test_name


@dataclass(frozen=True)
class Checklist:
    status: str  # worst item; green when nothing is required
    items: tuple[ChecklistItem, ...] = field(default_factory=tuple)

    @property
    def missing(self) -> tuple[ChecklistItem, ...]:
        return tuple(i for i in self.items if i.status != GREEN)


def _day(day: dt.date) -> str:
    return f"{day:%a} {day:%b} {day.day}"


def applies(req: Requirement, *, dose_number: int, course_start: bool) -> bool:
    if req.gate == "first_dose":
        return dose_number == 1
    if req.gate == "course_start":
        return course_start
    return True  # each_dose, periodic


def evaluate(
    requirements: list[Requirement],
    results: list[Result],
    *,
    dose_number: int,
    course_start: bool,
    session_date: dt.date,
    each_dose_default_days: int = 30,
    today: dt.date | None = None,
) -> Checklist:
    """Green: a resulted lab recent enough on the session day. Amber: drawn, result pending.
    Red: missing, or it will have expired by the session day.

    With `today`, a draw-by date is never in the past: when there are fewer than
    LAB_TURNAROUND_DAYS left, a red item is `late`, says so, asks for a draw today and
    suggests the first infusion day a result could be in for."""
    items = []
    for req in requirements:
        if not applies(req, dose_number=dose_number, course_start=course_start):
            continue
        max_age = req.max_age_days
        if max_age is None and req.gate in ("each_dose", "course_start"):
            max_age = each_dose_default_days
        oldest_ok = session_date - dt.timedelta(days=max_age) if max_age else dt.date.min
        mine = sorted(
            (r for r in results if r.test_code == req.test_code and r.collected_on <= session_date),
            key=lambda r: r.collected_on,
            reverse=True,
        )
        resulted = next((r for r in mine if r.resulted), None)
        pending = next((r for r in mine if not r.resulted and r.collected_on >= oldest_ok), None)
        needed_by = session_date - dt.timedelta(days=LAB_TURNAROUND_DAYS)
        # Only for a visit still ahead: a past session's checklist is history.
        late = today is not None and needed_by < today <= session_date
        suggested = today + dt.timedelta(days=LAB_TURNAROUND_DAYS) if late else None
        if late:
            needed_by = today
        no_time = (
            f"No time left for a result before the infusion (results take {LAB_TURNAROUND_DAYS} "
            f"days): draw it today, or move the infusion to {_day(suggested)} or later."
            if late
            else ""
        )
        valid_until = (
            resulted.collected_on + dt.timedelta(days=max_age) if resulted and max_age else None
        )
        if resulted and resulted.collected_on >= oldest_ok:
            items.append(
                ChecklistItem(
                    req.test_code,
                    req.test_name,
                    req.gate,
                    GREEN,
                    "In and current.",
                    resulted.collected_on,
                    valid_until,
                )
            )
        elif pending:
            items.append(
                ChecklistItem(
                    req.test_code,
                    req.test_name,
                    req.gate,
                    AMBER,
                    f"Drawn {pending.collected_on:%b %d}; result pending.",
                    pending.collected_on,
                    None,
                    needed_by,
                )
            )
        elif resulted:
            items.append(
                ChecklistItem(
                    req.test_code,
                    req.test_name,
                    req.gate,
                    RED,
                    f"Last result {resulted.collected_on:%b %d, %Y} will be older than {max_age} days "
                    "on the infusion day; " + (no_time or f"repeat by {needed_by:%b %d}."),
                    resulted.collected_on,
                    valid_until,
                    needed_by,
                    late,
                    suggested,
                )
            )
        else:
            items.append(
                ChecklistItem(
                    req.test_code,
                    req.test_name,
                    req.gate,
                    RED,
                    "Missing; " + (no_time or f"get it drawn by {needed_by:%b %d}."),
                    None,
                    None,
                    needed_by,
                    late,
                    suggested,
                )
            )
    words = {req.test_code: req.patient_name for req in requirements}
    items = [replace(i, patient_name=words.get(i.test_code, "")) for i in items]
    worst = max((i.status for i in items), key=_RANK.__getitem__, default=GREEN)
    return Checklist(worst, tuple(items))
