"""The planner's plain dataclasses in and out, and the objective's default weights."""

from __future__ import annotations

from collections.abc import Hashable
from dataclasses import dataclass, field
from datetime import date, datetime

from ..availability import PatientAvailability
from ..types import BusySession, Center, Chair, Leg, Nurse, Placement

DEFAULT_WEIGHTS = {"placed": 100000, "wish": 60, "minute": 1, "day": 20, "peak": 10}


@dataclass(frozen=True)
class PlanWorld:
    center: Center
    chairs: dict[int, Chair]
    nurses: dict[int, Nurse]
    busy: tuple[BusySession, ...] = ()


@dataclass(frozen=True)
class PlanRequest:
    id: Hashable
    patient_id: int
    legs: tuple[Leg, ...]
    required_skill: str | None
    required_chair_kind: str | None
    date_from: date
    date_to: date
    target_date: date | None = None
    availability: PatientAvailability | None = None
    preferred_minute: int | None = None
    not_before: datetime | None = None

    def preferred(self) -> int | None:
        if self.preferred_minute is not None:
            return self.preferred_minute
        if self.availability is not None:
            return self.availability.preferred_minute
        return None


@dataclass(frozen=True)
class Proposal:
    request_id: Hashable
    patient_id: int
    start: datetime
    placements: tuple[Placement, ...]
    minutes_from_preferred: int
    days_from_target: int
    wish_misses: int


@dataclass(frozen=True)
class Unplaced:
    request_id: Hashable
    reason: str


@dataclass(frozen=True)
class PlanResult:
    proposals: tuple[Proposal, ...]
    unplaced: tuple[Unplaced, ...]
    status: str
    objective: float | None
    bound: float | None
    solve_seconds: float
    stats: dict = field(default_factory=dict)
