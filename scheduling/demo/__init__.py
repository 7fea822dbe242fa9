"""A believable demo center for `manage.py seed_demo`, built as a list of steps.

What it builds (see each module): the center (11 chairs, 8 nurses, hours, holidays, staff
logins; center.py), ~1,550 patients in a realistic mix with labs and REMS authorizations
(people.py), ninety days of history with actual times, no-shows and late cancellations
(history.py, actual.py), today alive at whatever hour it runs and the next two weeks booked
through the booking services (booking.py), and a summary (report.py). Deterministic
(``random.Random(2026)``), relative to today, idempotent: once demo patients exist, nothing
is touched again.

Extension point: ``STEPS`` is the ordered list of ``Step(name, function)``; each function
takes the ``Demo`` context (scheduling/demo/context.py: ``demo.plans``, ``demo.users``,
``demo.protocols``, ``demo.today``, ``demo.rng``, ``demo.report`` ...). Another part of the
project adds its own step with ``add_step(Step("orders", my_fn), before="today")`` (treatment
orders and authorizations must exist before anything is booked: "today" is the first step
that books) or ``after="bookings"`` (a waitlist, planner proposals). Steps run in one
transaction; each one's time is printed.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

from django.db import transaction

from patients.models import Patient
from scheduling.demo import booking, center, history, people, report
from scheduling.demo.center import (  # noqa: F401
    BOOKING_DAYS,
    DEMO_PASSWORD,
    closures_for,
    us_holidays,
)
from scheduling.demo.context import Demo, SeedReport
from scheduling.demo.people import DEFAULT_PATIENTS, MRN_PREFIX  # noqa: F401


@dataclass(frozen=True)
class Step:
    name: str
    run: Callable[[Demo], None]


STEPS: list[Step] = [
    Step("catalogue", center.catalogue),
    Step("center", center.center),
    Step("chairs", center.chairs),
    Step("nurses", center.nurses),
    Step("users", center.users),
    Step("patients", people.patients),
    Step("history", history.history),
    Step("today", booking.today),
    Step("bookings", booking.bookings),
    Step("summary", report.summary),
]


def add_step(step: Step, *, before: str | None = None, after: str | None = None) -> None:
    """Insert a step before or after a named one (at the end when neither is given). Adding a
    step with a name already present replaces it, so importing twice is harmless."""
    names = [s.name for s in STEPS]
    if step.name in names:
        STEPS[names.index(step.name)] = step
        return
    if before is not None:
        STEPS.insert(names.index(before), step)
    elif after is not None:
        STEPS.insert(names.index(after) + 1, step)
    else:
        STEPS.append(step)


def is_seeded() -> bool:
    return Patient.objects.filter(mrn__startswith=MRN_PREFIX).exists()


def seed(*, patients: int = DEFAULT_PATIENTS, stdout=None) -> SeedReport:
    """Seed the demo center once. A second call finds the demo patients and does nothing."""
    started = time.monotonic()
    rep = SeedReport()
    if is_seeded():
        rep.already_seeded = True
        return rep
    demo = Demo(patients=patients, report=rep, stdout=stdout)
    with transaction.atomic():
        for step in STEPS:
            t0 = time.monotonic()
            step.run(demo)
            rep.step_seconds[step.name] = time.monotonic() - t0
    rep.seconds = time.monotonic() - started
    return rep


def lines(rep: SeedReport) -> list[str]:
    return report.lines(rep)


# Parts of the project that add their own demo steps (imported last: they use add_step).
from scheduling.demo import planning as _planning  # noqa: E402

add_step(Step("planning", _planning.planning), after="bookings")
