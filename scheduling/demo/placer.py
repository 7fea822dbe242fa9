"""A fast first-fit placer for the demo's days, in local minutes after midnight.

The demo places thousands of past doses and the rest of today, which the booking services
refuse (they never book the past). The placer keeps the same rules the engine keeps (DESIGN §4
rules 1-5: a chair of the right kind free from start to release, a skilled nurse on one shift
for the whole session, never more than their maximum patients at once, one start per nurse per
stagger window, one session per patient at a time) so old days and today look like days the
services would have built. Future days are booked through the services; the placer only
proposes the chair, nurse and time, and the services check them again.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class NurseDay:
    id: int
    skills: frozenset[str]
    max_patients: int
    shifts: list[tuple[int, int]]  # local minutes
    busy: list[tuple[int, int]] = field(default_factory=list)  # [start, observation end)
    starts: list[int] = field(default_factory=list)

    def free(self, start: int, end: int, stagger: int) -> bool:
        if not any(a <= start and end <= b for a, b in self.shifts):
            return False
        if any(abs(s - start) < stagger for s in self.starts):
            return False
        overlapping = [(a, b) for a, b in self.busy if a < end and start < b]
        if len(overlapping) < self.max_patients:
            return True
        # Most patients at one instant inside [start, end): check at each start point.
        points = [start] + [a for a, _ in overlapping if a > start]
        return all(sum(1 for a, b in overlapping if a <= p < b) < self.max_patients for p in points)


@dataclass
class ChairDay:
    id: int
    kind: str
    busy: list[tuple[int, int]] = field(default_factory=list)  # [start, release)

    def free(self, start: int, release: int) -> bool:
        return not any(a < release and start < b for a, b in self.busy)


@dataclass
class Placement:
    start: int
    chair_id: int
    nurse_id: int | None


class DayBoard:
    """One open day: the open window, chairs and the nurses on shift."""

    def __init__(self, *, opens: int, closes: int, chairs, nurses, stagger: int, grid: int = 15):
        self.opens, self.closes = opens, closes
        self.chairs: list[ChairDay] = chairs
        self.nurses: list[NurseDay] = nurses
        self.stagger = stagger
        self.grid = grid
        self.patients: dict[int, list[tuple[int, int]]] = {}

    def place(
        self,
        *,
        patient_id: int,
        minutes: int,
        turnover: int,
        skill: str | None,
        chair_kind: str | None,
        preferred: int,
        earliest: int | None = None,
        exact: bool = False,
    ) -> Placement | None:
        """The free start nearest `preferred` (on the grid); None when the day is full.
        exact=True tries only `preferred` (a course's later days keep its clock time)."""
        lo = max(self.opens, earliest or 0)
        hi = self.closes - minutes
        if hi < lo:
            return None
        if exact:
            candidates = [preferred] if lo <= preferred <= hi else []
        else:
            first = lo + (-(lo - self.opens)) % self.grid
            grid = range(first, hi + 1, self.grid)
            candidates = sorted(grid, key=lambda t: (abs(t - preferred), t))
        mine = self.patients.get(patient_id, ())
        chairs = [c for c in self.chairs if not chair_kind or c.kind == chair_kind]
        nurses = [n for n in self.nurses if not skill or skill in n.skills]
        for t in candidates:
            end, release = t + minutes, t + minutes + turnover
            if any(a < end and t < b for a, b in mine):
                continue
            chair = next((c for c in chairs if c.free(t, release)), None)
            if chair is None:
                continue
            nurse = min(
                (n for n in nurses if n.free(t, end, self.stagger)),
                key=lambda n: len(n.busy),
                default=None,
            )
            if nurse is None:
                continue
            self.take(patient_id, t, minutes, turnover, chair, nurse)
            return Placement(t, chair.id, nurse.id)
        return None

    def take(self, patient_id, start, minutes, turnover, chair, nurse) -> None:
        chair.busy.append((start, start + minutes + turnover))
        nurse.busy.append((start, start + minutes))
        nurse.starts.append(start)
        self.patients.setdefault(patient_id, []).append((start, start + minutes))

    def chair(self, chair_id: int) -> ChairDay:
        return next(c for c in self.chairs if c.id == chair_id)

    def nurse(self, nurse_id: int) -> NurseDay:
        return next(n for n in self.nurses if n.id == nurse_id)
