"""Hard rules of DESIGN §4 (rules 1-5) for one placement, over an index of busy sessions.

All instants are handled internally as integer epoch seconds; intervals are half-open.

Rules checked by :func:`check_placement`:

- ``chair``: the chair is exclusive over [start, chair_release_at) (turnover included).
- ``patient``: a patient is never in two sessions over [start, observation_end).
- ``hours``: start >= open and observation_end <= close of ONE open window (closures are
  absent windows).
- ``nurse_shift``: the nurse is on ONE shift for the whole [start, observation_end).
- ``nurse_capacity``: the nurse never has more than max_concurrent patients at any instant.
- ``stagger``: two starts of one nurse are at least stagger_minutes apart.
- ``skill``: the nurse has the required skill (None = any).
- ``chair_kind``: the chair is of the required kind (None = any).
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right, insort
from collections.abc import Iterable
from datetime import datetime
from zoneinfo import ZoneInfo

from .types import BusySession, Center, Chair, Interval, Nurse, Placement, Violation

NEG_INF = -(1 << 62)


def ts(dt: datetime) -> int:
    """Epoch seconds of an aware datetime."""
    if dt.tzinfo is None:
        raise ValueError(f"naive datetime {dt!r}: the engine needs timezone-aware datetimes")
    return int(dt.timestamp())


def from_ts(t: int, tz) -> datetime:
    return datetime.fromtimestamp(t, tz=tz)


class _Track:
    """Sorted intervals of one resource: parallel lists of starts, ends and session labels."""

    __slots__ = ("starts", "ends", "labels", "maxdur", "_pmax")

    def __init__(self) -> None:
        self.starts: list[int] = []
        self.ends: list[int] = []
        self.labels: list = []
        self.maxdur = 0
        self._pmax: list[int] | None = None

    def build(self, items: list[tuple[int, int, object]]) -> None:
        items.sort(key=lambda x: (x[0], x[1]))
        self.starts = [a for a, _, _ in items]
        self.ends = [b for _, b, _ in items]
        self.labels = [lab for _, _, lab in items]
        self.maxdur = max((b - a for a, b, _ in items), default=0)
        self._pmax = None

    def add(self, a: int, b: int, label) -> None:
        i = bisect_right(self.starts, a)
        self.starts.insert(i, a)
        self.ends.insert(i, b)
        self.labels.insert(i, label)
        self.maxdur = max(self.maxdur, b - a)
        self._pmax = None

    def overlapping(self, s: int, e: int) -> list[int]:
        """Indexes of intervals overlapping [s, e), O(log n + k)."""
        hi = bisect_left(self.starts, e)
        lo = bisect_right(self.starts, s - self.maxdur)
        ends = self.ends
        return [j for j in range(lo, hi) if ends[j] > s]

    def first_overlap(self, s: int, e: int) -> int:
        hi = bisect_left(self.starts, e)
        lo = bisect_right(self.starts, s - self.maxdur)
        ends = self.ends
        for j in range(hi - 1, lo - 1, -1):
            if ends[j] > s:
                return j
        return -1

    def prev_end(self, s: int) -> int:
        """Latest end among intervals starting before s (NEG_INF if none)."""
        if self._pmax is None:
            pm, m = [], NEG_INF
            for b in self.ends:
                m = b if b > m else m
                pm.append(m)
            self._pmax = pm
        i = bisect_left(self.starts, s)
        return self._pmax[i - 1] if i else NEG_INF

    def next_start(self, t: int) -> int | None:
        i = bisect_left(self.starts, t)
        return self.starts[i] if i < len(self.starts) else None

    def count_starts(self, a: int, b: int) -> int:
        return bisect_left(self.starts, b) - bisect_left(self.starts, a)

    def near_start(self, s: int, gap: int) -> int:
        """Index of a start t with |t - s| < gap, or -1."""
        i = bisect_right(self.starts, s - gap)
        if i < len(self.starts) and self.starts[i] < s + gap:
            return i
        return -1


class _LazyTracks:
    """Tracks built on first use. A search asks about one patient; building a sorted track for
    each of the hundreds of patients on the books cost more than the search itself."""

    __slots__ = ("_raw", "_built")

    def __init__(self, raw: dict[int, list]) -> None:
        self._raw = raw
        self._built: dict[int, _Track] = {}

    def get(self, key: int, default=None):
        track = self._built.get(key)
        if track is None:
            items = self._raw.pop(key, None)
            if items is None:
                return default
            track = self._built[key] = _Track()
            track.build(items)
        return track

    def setdefault(self, key: int, default: _Track) -> _Track:
        track = self.get(key)
        if track is None:
            track = self._built[key] = default
        return track


class Windows:
    """Sorted intervals (open windows or shifts) answering 'is [s, e) inside ONE of them'."""

    __slots__ = ("starts", "ends", "pmax")

    def __init__(self, intervals: Iterable[Interval]) -> None:
        items = sorted((ts(iv.start), ts(iv.end)) for iv in intervals)
        self.starts = [a for a, _ in items]
        self.ends = [b for _, b in items]
        pm, m = [], NEG_INF
        for b in self.ends:
            m = max(m, b)
            pm.append(m)
        self.pmax = pm

    def contains(self, s: int, e: int) -> bool:
        i = bisect_right(self.starts, s)
        return i > 0 and self.pmax[i - 1] >= e


class Pending:
    """A session not yet in the index (an earlier leg of the unit being placed)."""

    __slots__ = ("label", "patient_id", "chair_id", "nurse_id", "start", "obs_end", "release")

    def __init__(self, label, patient_id, chair_id, nurse_id, start, obs_end, release):
        self.label = label
        self.patient_id = patient_id
        self.chair_id = chair_id
        self.nurse_id = nurse_id
        self.start = start
        self.obs_end = obs_end
        self.release = release


class BusyIndex:
    """Busy sessions indexed per chair, per nurse and per patient (sorted lists + bisect).

    Labels are the BusySession objects so violations can name the clashing session.
    ``add`` inserts one more session (e.g. a leg the search just placed)."""

    def __init__(self, busy: Iterable[BusySession] = ()) -> None:
        self.chair: dict[int, _Track] = {}
        self.nurse: dict[int, _Track] = {}
        self.patient: _LazyTracks
        c: dict[int, list] = {}
        n: dict[int, list] = {}
        p: dict[int, list] = {}
        starts: list[int] = []
        releases: list[int] = []
        for b in busy:
            s, e, r = ts(b.start), ts(b.observation_end), ts(b.chair_release_at)
            c.setdefault(b.chair_id, []).append((s, r, b))
            p.setdefault(b.patient_id, []).append((s, e, b))
            if b.nurse_id is not None:
                n.setdefault(b.nurse_id, []).append((s, e, b))
            starts.append(s)
            releases.append(r)
        self.patient = _LazyTracks(p)
        for src, dst in ((c, self.chair), (n, self.nurse)):
            for k, items in src.items():
                t = _Track()
                t.build(items)
                dst[k] = t
        starts.sort()
        releases.sort()
        self.all_starts = starts
        self.all_releases = releases
        self.size = len(starts)

    def add(self, b: BusySession) -> None:
        s, e, r = ts(b.start), ts(b.observation_end), ts(b.chair_release_at)
        self.chair.setdefault(b.chair_id, _Track()).add(s, r, b)
        self.patient.setdefault(b.patient_id, _Track()).add(s, e, b)
        if b.nurse_id is not None:
            self.nurse.setdefault(b.nurse_id, _Track()).add(s, e, b)
        insort(self.all_starts, s)
        insort(self.all_releases, r)
        self.size += 1

    def occupancy(self, t: int) -> int:
        """Chairs busy at instant t (sessions with start <= t < chair_release_at)."""
        return bisect_right(self.all_starts, t) - bisect_right(self.all_releases, t)

    # ---- rule queries; each returns the clashing label(s) or a falsy value ----

    def chair_clash(self, chair_id: int, s: int, r: int, extra: Iterable[Pending] = ()):
        t = self.chair.get(chair_id)
        if t is not None:
            j = t.first_overlap(s, r)
            if j >= 0:
                return t.labels[j]
        for x in extra:
            if x.chair_id == chair_id and x.start < r and s < x.release:
                return x.label
        return None

    def patient_clash(self, patient_id: int, s: int, e: int, extra: Iterable[Pending] = ()):
        t = self.patient.get(patient_id)
        if t is not None:
            j = t.first_overlap(s, e)
            if j >= 0:
                return t.labels[j]
        for x in extra:
            if x.patient_id == patient_id and x.start < e and s < x.obs_end:
                return x.label
        return None

    def stagger_clash(self, nurse_id: int, s: int, gap: int, extra: Iterable[Pending] = ()):
        if gap <= 0:
            return None
        t = self.nurse.get(nurse_id)
        if t is not None:
            j = t.near_start(s, gap)
            if j >= 0:
                return t.labels[j]
        for x in extra:
            if x.nurse_id == nurse_id and abs(x.start - s) < gap:
                return x.label
        return None

    def capacity_clash(
        self, nurse_id: int, s: int, e: int, max_concurrent: int, extra: Iterable[Pending] = ()
    ) -> list:
        """Labels of the sessions that, with the new one, exceed max_concurrent at some
        instant of [s, e); [] when fine."""
        ivs: list[tuple[int, int, object]] = []
        t = self.nurse.get(nurse_id)
        if t is not None:
            for j in t.overlapping(s, e):
                ivs.append((t.starts[j], t.ends[j], t.labels[j]))
        for x in extra:
            if x.nurse_id == nurse_id and x.start < e and s < x.obs_end:
                ivs.append((x.start, x.obs_end, x.label))
        if len(ivs) < max_concurrent:
            return []
        points = [s] + [a for a, _, _ in ivs if a > s]
        for p in points:
            here = [lab for a, b, lab in ivs if a <= p < b]
            if len(here) >= max_concurrent:
                return here
        return []


def describe(label, tz) -> str:
    if isinstance(label, BusySession):
        a = label.start.astimezone(tz)
        b = label.chair_release_at.astimezone(tz)
        return f"session {label.id} (patient {label.patient_id}, chair {label.chair_id}, {a:%Y-%m-%d %H:%M}-{b:%H:%M})"
    if isinstance(label, Pending):
        return str(label.label)
    return str(label)


class Context:
    """Per-call precomputed structures: windows, nurse shifts, chair/nurse lookups."""

    def __init__(
        self, center: Center, chairs: dict[int, Chair], nurses: dict[int, Nurse], index: BusyIndex
    ) -> None:
        self.center = center
        self.tz = ZoneInfo(center.time_zone)
        self.chairs = chairs
        self.nurses = nurses
        self.index = index
        self.windows = Windows(center.open_windows)
        self._shifts: dict[int, Windows] = {}
        self.turnover = center.turnover_minutes * 60
        self.stagger = center.stagger_minutes * 60

    def shifts(self, nurse_id: int) -> Windows:
        w = self._shifts.get(nurse_id)
        if w is None:
            w = self._shifts[nurse_id] = Windows(self.nurses[nurse_id].shifts)
        return w

    def fmt(self, t: int) -> str:
        # Messages name local dates the way the clinic writes them, never ISO strings.
        local = from_ts(t, self.tz)
        return f"{local:%a} {local.day} {local:%b %Y %H:%M}"

    def nurse_ok(self, nurse: Nurse, s: int, e: int, extra=()) -> bool:
        idx = self.index
        return (
            self.shifts(nurse.id).contains(s, e)
            and idx.stagger_clash(nurse.id, s, self.stagger, extra) is None
            and not idx.capacity_clash(nurse.id, s, e, nurse.max_concurrent, extra)
        )

    def chair_violations(self, chair_id, s, r, required_kind, extra=()) -> list[Violation]:
        out: list[Violation] = []
        chair = self.chairs.get(chair_id)
        res = f"chair:{chair_id}"
        if chair is None:
            return [Violation("chair", f"Chair {chair_id} is unknown or inactive.", res)]
        if required_kind is not None and chair.kind != required_kind:
            out.append(
                Violation(
                    "chair_kind",
                    f"Chair {chair.name} is a {chair.kind}; this protocol needs a {required_kind}.",
                    res,
                )
            )
        lab = self.index.chair_clash(chair_id, s, r, extra)
        if lab is not None:
            out.append(
                Violation(
                    "chair",
                    f"Chair {chair.name} is busy {self.fmt(s)}-{from_ts(r, self.tz):%H:%M} "
                    f"(turnover included) with {describe(lab, self.tz)}.",
                    res,
                )
            )
        return out

    def nurse_violations(self, nurse_id, s, e, required_skill, extra=()) -> list[Violation]:
        out: list[Violation] = []
        nurse = self.nurses.get(nurse_id)
        res = f"nurse:{nurse_id}"
        if nurse is None:
            return [Violation("nurse_shift", f"Nurse {nurse_id} is unknown or inactive.", res)]
        who = f"Nurse {nurse.name}"
        if required_skill is not None and required_skill not in nurse.skills:
            out.append(
                Violation("skill", f"{who} lacks the required skill '{required_skill}'.", res)
            )
        if not self.shifts(nurse_id).contains(s, e):
            out.append(
                Violation(
                    "nurse_shift",
                    f"{who} is not on one shift for the whole session {self.fmt(s)}-{from_ts(e, self.tz):%H:%M}.",
                    res,
                )
            )
        labs = self.index.capacity_clash(nurse_id, s, e, nurse.max_concurrent, extra)
        if labs:
            names = ", ".join(describe(x, self.tz) for x in labs)
            out.append(
                Violation(
                    "nurse_capacity",
                    f"{who} would exceed {nurse.max_concurrent} concurrent patients; already with {names}.",
                    res,
                )
            )
        lab = self.index.stagger_clash(nurse_id, s, self.stagger, extra)
        if lab is not None:
            out.append(
                Violation(
                    "stagger",
                    f"{who} already starts {describe(lab, self.tz)} within {self.center.stagger_minutes} min of {self.fmt(s)}.",
                    res,
                )
            )
        return out

    def hours_and_patient_violations(
        self, patient_id, dose_number, s, e, extra=()
    ) -> list[Violation]:
        """Rules 2 and 3 for one dose: inside one opening window, patient free."""
        out: list[Violation] = []
        if not self.windows.contains(s, e):
            out.append(
                Violation(
                    "hours",
                    f"Dose {dose_number} at {self.fmt(s)}-{from_ts(e, self.tz):%H:%M} is not inside one opening window of the center.",
                    None,
                )
            )
        lab = self.index.patient_clash(patient_id, s, e, extra)
        if lab is not None:
            out.append(
                Violation(
                    "patient",
                    f"The patient is already in {describe(lab, self.tz)} at {self.fmt(s)}.",
                    f"patient:{patient_id}",
                )
            )
        return out

    def placement_violations(
        self, patient_id, p: Placement, required_skill, required_kind, extra=()
    ) -> list[Violation]:
        tl = p.timeline
        s, e, r = ts(tl.start), ts(tl.observation_end), ts(tl.chair_release_at)
        out: list[Violation] = []
        out += self.chair_violations(p.chair_id, s, r, required_kind, extra)
        out += self.hours_and_patient_violations(patient_id, p.dose_number, s, e, extra)
        out += self.nurse_violations(p.nurse_id, s, e, required_skill, extra)
        return out


def _as_index(busy) -> BusyIndex:
    return busy if isinstance(busy, BusyIndex) else BusyIndex(busy)


def check_placement(
    *,
    center: Center,
    chairs: dict[int, Chair],
    nurses: dict[int, Nurse],
    busy,
    patient_id: int,
    placement: Placement,
    required_skill: str | None,
    required_chair_kind: str | None,
) -> list[Violation]:
    """Violations of rules 1-5 for one placement against `busy` (a list of BusySession or
    a BusyIndex). [] means the placement is valid."""
    ctx = Context(center, chairs, nurses, _as_index(busy))
    return ctx.placement_violations(patient_id, placement, required_skill, required_chair_kind)


def pending_of(patient_id: int, p: Placement) -> Pending:
    tl = p.timeline
    return Pending(
        f"dose {p.dose_number} of this booking ({tl.start:%Y-%m-%d %H:%M}, chair {p.chair_id})",
        patient_id,
        p.chair_id,
        p.nurse_id,
        ts(tl.start),
        ts(tl.observation_end),
        ts(tl.chair_release_at),
    )


__all__ = [
    "BusyIndex",
    "check_placement",
    "ts",
    "from_ts",
    "Windows",
    "Context",
    "Pending",
    "pending_of",
]
