"""What the seeding steps share: the clock, the random source, the center and the plans."""

from __future__ import annotations

import contextlib
import datetime as dt
import random
from collections import Counter
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from django.utils import timezone

from scheduling import engine
from scheduling.demo.placer import ChairDay, DayBoard, NurseDay
from scheduling.world import dose_rule_specs

SEED = 2026


@dataclass
class SeedReport:
    already_seeded: bool = False
    created: Counter = field(default_factory=Counter)
    past_sessions: int = 0
    past_no_shows: int = 0
    past_cancelled: int = 0
    today: Counter = field(default_factory=Counter)
    booked_sessions: int = 0
    booked_units: int = 0
    confirmed: int = 0
    skipped: Counter = field(default_factory=Counter)
    left_unbooked: int = 0
    worklist: int = 0
    utilization: float = 0.0
    next_week_utilization: float = 0.0
    on_time: float | None = None
    no_show: float | None = None
    seconds: float = 0.0
    step_seconds: dict = field(default_factory=dict)


@contextlib.contextmanager
def booked_at_kept(model):
    """bulk_create with each row's own created_at (when the dose was booked, which the
    analytics read as the booking lead time): auto_now_add would stamp them all with now, and
    a bulk_update afterwards cost seconds. Only for the demo's one-off bulk inserts."""
    field = model._meta.get_field("created_at")
    field.auto_now_add = False
    try:
        yield
    finally:
        field.auto_now_add = True


class Demo:
    """The state one seeding run builds up, step by step (see scheduling.demo.STEPS)."""

    def __init__(self, *, patients: int, report: SeedReport, stdout=None):
        self.n = patients
        self.report = report
        self.stdout = stdout
        self.rng = random.Random(SEED)
        self.now = timezone.now()
        self.protocols = {}
        self.plans = []
        self.users = {}
        self.chairs = {}
        self.nurses = {}
        self._specs: dict[int, list[engine.DoseRuleSpec]] = {}
        self._boards: dict[dt.date, DayBoard | None] = {}

    # set by the center step
    center = None
    tz: ZoneInfo = ZoneInfo("America/New_York")
    today: dt.date = None

    def say(self, text: str) -> None:
        if self.stdout is not None:
            self.stdout.write(text)

    def specs(self, protocol) -> list[engine.DoseRuleSpec]:
        cached = self._specs.get(protocol.pk)
        if cached is None:
            cached = self._specs[protocol.pk] = dose_rule_specs(protocol)
        return cached

    def at(self, day: dt.date, minutes: int) -> dt.datetime:
        """A center-local instant: `minutes` after local midnight of `day`."""
        return dt.datetime.combine(day, dt.time(minutes // 60, minutes % 60), tzinfo=self.tz)

    def local_minutes(self, when: dt.datetime) -> int:
        local = when.astimezone(self.tz)
        return local.hour * 60 + local.minute

    # -- day boards --------------------------------------------------------------------------

    def load_resources(self) -> None:
        """Hours, closures, chairs, nurses with shifts and time off, read once for the boards."""
        from scheduling.models import Chair, Closure, Nurse, NurseShift, NurseTimeOff, OpeningHours

        self.hours = {
            h.weekday: (h.opens.hour * 60 + h.opens.minute, h.closes.hour * 60 + h.closes.minute)
            for h in OpeningHours.objects.all()
        }
        self.closed = set(Closure.objects.values_list("date", flat=True))
        self.chair_rows = list(Chair.objects.filter(active=True).order_by("display_order", "pk"))
        self.nurse_rows = list(Nurse.objects.filter(active=True).order_by("pk"))
        self.shifts: dict[tuple[int, int], list[tuple[int, int]]] = {}
        for s in NurseShift.objects.all():
            self.shifts.setdefault((s.nurse_id, s.weekday), []).append(
                (s.start.hour * 60 + s.start.minute, s.end.hour * 60 + s.end.minute)
            )
        self.time_off = list(NurseTimeOff.objects.values_list("nurse_id", "start_date", "end_date"))
        self._boards.clear()

    def is_open(self, day: dt.date) -> bool:
        return day.weekday() in self.hours and day not in self.closed

    def board(self, day: dt.date) -> DayBoard | None:
        """The placer's board for an open day (None when closed), made once per day."""
        if day in self._boards:
            return self._boards[day]
        board = None
        if self.is_open(day):
            opens, closes = self.hours[day.weekday()]
            off = {n for n, a, b in self.time_off if a <= day <= b}
            nurses = [
                NurseDay(
                    id=n.pk,
                    skills=frozenset(n.skills or ()),
                    max_patients=n.max_concurrent_patients,
                    shifts=self.shifts.get((n.pk, day.weekday()), []),
                )
                for n in self.nurse_rows
                if n.pk not in off and self.shifts.get((n.pk, day.weekday()))
            ]
            board = DayBoard(
                opens=opens,
                closes=closes,
                chairs=[ChairDay(c.pk, c.kind) for c in self.chair_rows],
                nurses=nurses,
                stagger=self.center.stagger_minutes,
            )
        self._boards[day] = board
        return board
