"""Demo step "planning" (after the bookings): some patients with availability windows, and a
weekly template built by CP-SAT from the ninety days of history and the due pipeline, then
published, so the find-and-book search, the week board and the planner show it at once."""

from __future__ import annotations

from patients.models import AvailabilityWindow, Patient
from scheduling.demo.people import MRN_PREFIX

# (share of patients, windows): the front desk's usual phrases.
PATTERNS = [
    (0.10, [{"weekdays": [1, 3], "start": (7, 0), "end": (13, 0), "kind": "available"}]),
    (0.06, [{"weekdays": [0], "start": None, "end": None, "kind": "unavailable"}]),
    (0.06, [{"weekdays": [0, 1, 2, 3, 4], "start": (12, 0), "end": None, "kind": "available"}]),
    (0.04, [{"weekdays": [4], "start": None, "end": None, "kind": "unavailable", "wish": True}]),
]


def planning(demo) -> None:
    import datetime as dt

    from scheduling.services import template as template_service

    patients = list(
        Patient.objects.filter(mrn__startswith=MRN_PREFIX)
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    rows = []
    for pk in patients:
        roll = demo.rng.random()
        acc = 0.0
        for share, windows in PATTERNS:
            acc += share
            if roll < acc:
                for i, w in enumerate(windows):
                    rows.append(
                        AvailabilityWindow(
                            patient_id=pk,
                            weekdays=w["weekdays"],
                            start_time=dt.time(*w["start"]) if w["start"] else None,
                            end_time=dt.time(*w["end"]) if w["end"] else None,
                            kind=w["kind"],
                            strength="wish" if w.get("wish") else "must",
                            position=i,
                        )
                    )
                break
    AvailabilityWindow.objects.bulk_create(rows)
    demo.report.created["availability windows"] = len(rows)
    row = template_service.build_template_draft(
        weeks=8, horizon_days=21, name="Level loading (demo)", time_limit=5.0, today=demo.today
    )
    template_service.publish_template(template=row)
    demo.report.created["template starts"] = sum(c.count for c in row.starts.all())
    demo.say(
        f"  planning: {len(rows)} availability windows; template published "
        f"({row.source.get('solver_status')}, {demo.report.created['template starts']} starts a week)"
    )
