"""Plain data the engine works on. No Django here: services translate models into these.

All datetimes are timezone-aware. The engine computes local clock times in the center's
zone (zoneinfo) and compares instants in UTC.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

from .availability import PatientAvailability


@dataclass(frozen=True)
class Interval:
    """Half-open [start, end): two intervals that only touch do not overlap."""

    start: datetime
    end: datetime

    def overlaps(self, other: Interval) -> bool:
        return self.start < other.end and other.start < self.end

    def contains(self, other: Interval) -> bool:
        return self.start <= other.start and other.end <= self.end


@dataclass(frozen=True)
class DoseTiming:
    """How long one dose keeps the patient, the nurse and the chair."""

    premed_lead_minutes: int
    infusion_minutes: int
    observation_minutes: int


@dataclass(frozen=True)
class Timeline:
    """The phases of one session. The chair is busy [start, chair_release_at);
    patient and nurse are busy [start, observation_end)."""

    start: datetime
    premed_start: datetime
    infusion_start: datetime
    infusion_end: datetime
    observation_end: datetime
    chair_release_at: datetime


@dataclass(frozen=True)
class Chair:
    id: int
    name: str
    kind: str  # "recliner" | "bed"
    features: frozenset[str] = frozenset()


@dataclass(frozen=True)
class Nurse:
    id: int
    name: str
    skills: frozenset[str]
    max_concurrent: int
    # Concrete on-shift intervals (time off already removed) covering the searched dates.
    shifts: tuple[Interval, ...]


@dataclass(frozen=True)
class BusySession:
    """An active (booked/confirmed/checked_in/in_chair) session already on the books."""

    id: int
    patient_id: int
    chair_id: int
    nurse_id: int | None
    start: datetime
    observation_end: datetime
    chair_release_at: datetime


@dataclass(frozen=True)
class Center:
    time_zone: str  # IANA name, e.g. "America/New_York"
    # Concrete opening intervals (closures already removed) covering the searched dates.
    open_windows: tuple[Interval, ...]
    turnover_minutes: int = 15
    stagger_minutes: int = 15
    slot_step_minutes: int = 15


@dataclass(frozen=True)
class Leg:
    """One dose of a unit searched together (a series): its day offset from the first leg,
    its dose number and its timing. Every leg starts at the same local clock time."""

    dose_number: int
    day_offset: int
    timing: DoseTiming


@dataclass(frozen=True)
class SlotRequest:
    patient_id: int
    legs: tuple[Leg, ...]  # one leg for a single dose
    required_skill: str | None
    required_chair_kind: str | None
    date_from: date  # first day (center-local) the first leg may be on
    date_to: date  # last day (inclusive) the first leg may be on
    target_date: date | None = None  # ideal day for the first leg (due date)
    preferred_hour: int | None = None  # patient's preferred local start hour, 0-23
    not_before: datetime | None = None  # e.g. now: never offer a start before this
    limit: int = 10
    chair_id: int | None = None  # restrict to this chair (coordinator's choice)
    nurse_id: int | None = None  # restrict to this nurse
    # When the patient can come (must windows filter, wishes and distance from the preferred
    # minute penalize); None = any time the center is open.
    availability: PatientAvailability | None = None
    # Preferred local start in minutes after midnight; wins over availability.preferred_minute
    # and preferred_hour.
    preferred_minute: int | None = None

    def preferred(self) -> int | None:
        """The preferred local start minute, from the most specific source given."""
        if self.preferred_minute is not None:
            return self.preferred_minute
        if self.availability is not None and self.availability.preferred_minute is not None:
            return self.availability.preferred_minute
        return None if self.preferred_hour is None else self.preferred_hour * 60


@dataclass(frozen=True)
class Placement:
    """One leg placed: where, with whom, and when."""

    dose_number: int
    chair_id: int
    nurse_id: int
    timeline: Timeline


@dataclass(frozen=True)
class Slot:
    """A ranked option. `score` is lower-is-better; `score_parts` explains it."""

    start: datetime
    placements: tuple[Placement, ...]
    score: float
    score_parts: dict[str, float] = field(default_factory=dict)


@dataclass(frozen=True)
class Violation:
    """A rule a placement breaks, in words a coordinator can act on."""

    rule: str  # "chair" | "patient" | "hours" | "nurse_shift" | "nurse_capacity" | "stagger" | "skill" | "chair_kind" | "spacing"
    message: str
    resource: str | None = None  # "chair:3", "nurse:2", "patient:7", "session:12"
