"""When a patient can come: weekday and time-of-day windows, each a must or a wish.

Pure Python, shared by the slot search, the template, the planner, fit-me-in and the
waitlist. A patient with no windows can come any time the center is open.

Semantics (one place, so every caller agrees):
- "available" windows say when the patient can come. If any *must* available window exists,
  a start outside all of them is impossible; *wish* available windows only add a penalty to
  starts outside them.
- "unavailable" windows ("not Mondays", "never after 15:00") exclude: a *must* one makes a
  visit that overlaps it impossible; a *wish* one adds a penalty.
- A visit is judged by its whole stay (arrival to observation end), in the center's local
  clock, minutes after local midnight.
- preferred_minute is the start the patient would most like (e.g. 540 = 09:00), or None.

The JSON form (API, waitlist entries, stored rows) is
`{"weekdays": [0, 2], "start": "08:00", "end": "11:00", "kind": "available", "strength": "must"}`
with Monday = 0; a missing start/end means the whole day.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

AVAILABLE = "available"
UNAVAILABLE = "unavailable"
MUST = "must"
WISH = "wish"
KINDS = (AVAILABLE, UNAVAILABLE)
STRENGTHS = (MUST, WISH)
DAY_MINUTES = 24 * 60


@dataclass(frozen=True)
class AvailabilityWindow:
    weekdays: frozenset[int]  # 0 = Monday .. 6 = Sunday
    start_minute: int = 0  # local minutes after midnight, inclusive
    end_minute: int = DAY_MINUTES  # exclusive
    kind: str = AVAILABLE
    strength: str = MUST

    def covers(self, weekday: int, start_minute: int, end_minute: int) -> bool:
        """The whole stay [start, end) lies inside this window on that weekday."""
        return (
            weekday in self.weekdays
            and self.start_minute <= start_minute
            and end_minute <= self.end_minute
        )

    def touches(self, weekday: int, start_minute: int, end_minute: int) -> bool:
        """Some of the stay [start, end) lies inside this window on that weekday."""
        return (
            weekday in self.weekdays
            and start_minute < self.end_minute
            and self.start_minute < end_minute
        )


@dataclass(frozen=True)
class PatientAvailability:
    windows: tuple[AvailabilityWindow, ...] = ()
    preferred_minute: int | None = None
    short_notice_ok: bool = False

    @property
    def is_open(self) -> bool:
        return not self.windows

    def allows(self, local_start: dt.datetime, local_end: dt.datetime) -> bool:
        """Hard rule: may the patient come for a stay from local_start to local_end?"""
        if not self.windows:
            return True
        wd, s, e = _span(local_start, local_end)
        must_avail = [w for w in self.windows if w.kind == AVAILABLE and w.strength == MUST]
        if must_avail and not any(w.covers(wd, s, e) for w in must_avail):
            return False
        return not any(
            w.touches(wd, s, e)
            for w in self.windows
            if w.kind == UNAVAILABLE and w.strength == MUST
        )

    def wish_misses(self, local_start: dt.datetime, local_end: dt.datetime) -> int:
        """Soft rule: how many wishes the stay breaks (0 when it honours them all)."""
        if not self.windows:
            return 0
        wd, s, e = _span(local_start, local_end)
        misses = 0
        wish_avail = [w for w in self.windows if w.kind == AVAILABLE and w.strength == WISH]
        if wish_avail and not any(w.covers(wd, s, e) for w in wish_avail):
            misses += 1
        misses += sum(
            1
            for w in self.windows
            if w.kind == UNAVAILABLE and w.strength == WISH and w.touches(wd, s, e)
        )
        return misses

    def minutes_from_preferred(self, local_start: dt.datetime) -> int:
        """Distance in minutes from the preferred start time (0 when there is none)."""
        if self.preferred_minute is None:
            return 0
        return abs(local_start.hour * 60 + local_start.minute - self.preferred_minute)


ANY_TIME = PatientAvailability()


def _span(local_start: dt.datetime, local_end: dt.datetime) -> tuple[int, int, int]:
    start = local_start.hour * 60 + local_start.minute
    end = start + max(0, int((local_end - local_start).total_seconds() // 60))
    return local_start.weekday(), start, min(end, DAY_MINUTES)


def _minute(text: str | None, default: int) -> int:
    if text in (None, ""):
        return default
    hh, _, mm = str(text).partition(":")
    value = int(hh) * 60 + int(mm or 0)
    if not 0 <= value <= DAY_MINUTES:
        raise ValueError(f"time {text!r} is not between 00:00 and 24:00")
    return value


def window_from_json(data: dict) -> AvailabilityWindow:
    """One window from its JSON form; ValueError with a readable message when it is wrong."""
    if not isinstance(data, dict):
        raise ValueError("each window is an object with weekdays, start, end, kind, strength")
    weekdays = data.get("weekdays", list(range(7)))
    if not isinstance(weekdays, list | tuple) or not all(
        isinstance(d, int) and not isinstance(d, bool) and 0 <= d <= 6 for d in weekdays
    ):
        raise ValueError("weekdays are numbers 0 (Monday) to 6 (Sunday)")
    if not weekdays:
        raise ValueError("name at least one weekday")
    start = _minute(data.get("start"), 0)
    end = _minute(data.get("end"), DAY_MINUTES)
    if end <= start:
        raise ValueError("a window ends after it starts")
    kind = data.get("kind", AVAILABLE)
    strength = data.get("strength", MUST)
    if kind not in KINDS:
        raise ValueError(f"kind is one of {', '.join(KINDS)}")
    if strength not in STRENGTHS:
        raise ValueError(f"strength is one of {', '.join(STRENGTHS)}")
    return AvailabilityWindow(frozenset(weekdays), start, end, kind, strength)


def window_to_json(w: AvailabilityWindow) -> dict:
    def hhmm(m: int) -> str:
        return f"{m // 60:02d}:{m % 60:02d}"

    return {
        "weekdays": sorted(w.weekdays),
        "start": hhmm(w.start_minute),
        "end": hhmm(w.end_minute),
        "kind": w.kind,
        "strength": w.strength,
    }


def availability_from_json(
    windows: list, *, preferred_minute: int | None = None, short_notice_ok: bool = False
) -> PatientAvailability:
    """A PatientAvailability from a list of JSON windows."""
    return PatientAvailability(
        tuple(window_from_json(w) for w in windows or ()),
        preferred_minute=preferred_minute,
        short_notice_ok=short_notice_ok,
    )
