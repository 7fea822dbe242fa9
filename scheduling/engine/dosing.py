"""Dose spacing and due dates (DESIGN §4 rule 6), pure functions.

A :class:`DoseRuleSpec` covers doses ``from_dose..to_dose`` (``to_dose=None``: and all later)
for a protocol option ("standard" unless e.g. a shortened-infusion option exists).

- ``interval_days`` is the target number of days after the anchor:
  ``interval_anchor="previous"`` anchors on the previous dose actually given/booked;
  ``"series_start"`` anchors on the first dose of the series the previous dose belongs to.
- A *series* is a dose plus the following doses whose rule has ``joins_series=True``
  (Ocrevus 1+2, Lemtrada 1-5 and 6-8). Series are booked together (``series_legs``).
- ``min_interval_days`` is a hard minimum after the previous dose; booking before it is a
  ``spacing`` violation. Outside [due - window_early_days, due + window_late_days] but after
  the minimum, a booking needs an override reason.

Because due dates anchor on the actual dates in the history, a late dose automatically
resets the schedule of the doses that follow.
"""

from __future__ import annotations

import math
from dataclasses import KW_ONLY, dataclass
from datetime import date, timedelta

from .types import DoseTiming, Leg, Violation


@dataclass(frozen=True)
class DoseRuleSpec:
    from_dose: int
    to_dose: int | None
    _: KW_ONLY
    option: str = "standard"
    timing: DoseTiming
    interval_days: int | None = None
    interval_anchor: str = "previous"  # "previous" | "series_start"
    min_interval_days: int | None = None
    window_early_days: int = 0
    window_late_days: int = 0
    joins_series: bool = False
    optional: bool = False
    dose_amount: float | None = None

    def covers(self, dose_number: int) -> bool:
        return self.from_dose <= dose_number and (
            self.to_dose is None or dose_number <= self.to_dose
        )


@dataclass(frozen=True)
class GivenDose:
    dose_number: int
    on: date


@dataclass(frozen=True)
class DueDose:
    dose_number: int
    due_date: date | None  # None: no anchor (first dose), book when convenient
    window_start: date | None
    window_end: date | None
    earliest_date: date | None  # minimum interval; None = no minimum
    rule: DoseRuleSpec | None = None


@dataclass(frozen=True)
class SpacingCheck:
    ok_in_window: bool
    violation: Violation | None
    needs_override: bool
    message: str


def rule_for(rules, dose_number: int, option: str = "standard") -> DoseRuleSpec:
    """The rule covering `dose_number` for `option`, falling back to "standard". When several
    rules cover the dose, the most specific (highest from_dose) wins."""
    if dose_number < 1:
        raise ValueError(f"dose number must be >= 1, got {dose_number}")
    for opt in (option, "standard") if option != "standard" else ("standard",):
        found = [r for r in rules if r.option == opt and r.covers(dose_number)]
        if found:
            return max(found, key=lambda r: r.from_dose)
    raise ValueError(f"no dose rule covers dose {dose_number} (option '{option}')")


def _covered(rules, dose_number: int, option: str) -> DoseRuleSpec | None:
    try:
        return rule_for(rules, dose_number, option)
    except ValueError:
        return None


def series_start_dose(rules, dose_number: int, option: str = "standard") -> int:
    """First dose of the series `dose_number` belongs to."""
    n = dose_number
    while n > 1 and rule_for(rules, n, option).joins_series:
        n -= 1
    return n


def series_legs(
    rules, first_dose: int, option: str = "standard", length: int | None = None
) -> tuple[Leg, ...]:
    """Legs of the series starting at `first_dose`: that dose plus the following joined doses,
    with accumulated day offsets. Optional joined doses are included only while the series
    has fewer than `length` legs (never when length is None)."""
    r0 = rule_for(rules, first_dose, option)
    legs = [Leg(first_dose, 0, r0.timing)]
    offset = 0
    n = first_dose + 1
    while True:
        if length is not None and len(legs) >= length:
            break
        r = _covered(rules, n, option)
        if r is None or not r.joins_series:
            break
        if r.optional and length is None:
            break
        step = r.interval_days or 0
        offset = step if r.interval_anchor == "series_start" else offset + step
        legs.append(Leg(n, offset, r.timing))
        n += 1
        if n - first_dose > 1000:
            raise ValueError("series without end: give a length")
    return tuple(legs)


def _dates(history) -> dict[int, date]:
    return {g.dose_number: g.on for g in history}


def _due(rules, dates: dict[int, date], n: int, option: str) -> DueDose:
    r = rule_for(rules, n, option)
    if n == 1 or (n - 1) not in dates:
        if n > 1 and dates:
            raise ValueError(f"dose {n - 1} missing from the history; cannot anchor dose {n}")
        return DueDose(n, None, None, None, None, r)
    prev = dates[n - 1]
    anchor = prev
    if r.interval_anchor == "series_start":
        anchor = dates.get(series_start_dose(rules, n - 1, option), prev)
    earliest = (
        prev + timedelta(days=r.min_interval_days) if r.min_interval_days is not None else None
    )
    if r.interval_days is None:
        return DueDose(n, None, None, None, earliest, r)
    due = anchor + timedelta(days=r.interval_days)
    return DueDose(
        n,
        due,
        due - timedelta(days=r.window_early_days),
        due + timedelta(days=r.window_late_days),
        earliest,
        r,
    )


def next_due(
    rules, history, *, max_doses: int | None = None, option: str = "standard"
) -> DueDose | None:
    """The next dose after the highest dose in `history` (given or booked), anchored on the
    actual dates; None when `max_doses` is reached or no rule covers the next dose."""
    dates = _dates(history)
    n = max(dates, default=0) + 1
    if max_doses is not None and n > max_doses:
        return None
    if _covered(rules, n, option) is None:
        return None
    return _due(rules, dates, n, option)


def max_doses_for_cap(cap: float, dose_amount: float) -> int:
    """Doses allowed under a lifetime cumulative cap (e.g. mitoxantrone 140 mg/m2 at
    12 mg/m2 per dose -> 11)."""
    if dose_amount <= 0:
        raise ValueError("dose_amount must be positive")
    return math.floor(cap / dose_amount + 1e-9)


def _day(day: date) -> str:
    """A date as the clinic writes it in a message: 'Mon 14 Dec 2026' (never ISO)."""
    return f"{day:%a} {day.day} {day:%b %Y}"


def check_spacing(
    rules, history, dose_number: int, on: date, option: str = "standard"
) -> SpacingCheck:
    """Is booking `dose_number` on `on` acceptable? Before the minimum interval (or on/before
    the previous dose) is a hard `spacing` violation; outside the target window but after
    the minimum needs an override reason."""
    dates = {k: v for k, v in _dates(history).items() if k < dose_number}
    res = f"dose:{dose_number}"
    if dose_number > 1 and dates and (dose_number - 1) not in dates:
        # The previous dose was cancelled (or never booked): there is nothing to anchor this
        # dose on, so it cannot be placed until dose n-1 is booked again. A refusal with the
        # reason, not the ValueError _due raises for a broken history.
        msg = (
            f"Dose {dose_number} cannot be booked or moved while dose {dose_number - 1} is "
            f"neither given nor booked: book dose {dose_number - 1} first."
        )
        return SpacingCheck(False, Violation("spacing", msg, res), False, msg)
    due = _due(rules, dates, dose_number, option)
    prev = dates.get(dose_number - 1)
    if prev is not None and on < prev:
        msg = f"Dose {dose_number} on {_day(on)} would be before dose {dose_number - 1} ({_day(prev)})."
        return SpacingCheck(False, Violation("spacing", msg, res), False, msg)
    if due.earliest_date is not None and on < due.earliest_date:
        msg = (
            f"Dose {dose_number} on {_day(on)} is before the minimum interval: earliest "
            f"{_day(due.earliest_date)} ({due.rule.min_interval_days} days after dose {dose_number - 1} on {_day(prev)})."
        )
        return SpacingCheck(False, Violation("spacing", msg, res), False, msg)
    if due.window_start is None:
        return SpacingCheck(
            True, None, False, f"Dose {dose_number} on {_day(on)}: no target window."
        )
    if due.window_start <= on <= due.window_end:
        return SpacingCheck(
            True,
            None,
            False,
            f"Dose {dose_number} on {_day(on)} is in its window {_day(due.window_start)} to {_day(due.window_end)} (due {_day(due.due_date)}).",
        )
    side = "early" if on < due.window_start else "late"
    days = (due.window_start - on).days if side == "early" else (on - due.window_end).days
    msg = (
        f"Dose {dose_number} on {_day(on)} is {days} day(s) {side} for its window "
        f"{_day(due.window_start)} to {_day(due.window_end)} (due {_day(due.due_date)}); an override reason is required."
    )
    return SpacingCheck(False, None, True, msg)


@dataclass(frozen=True)
class CapCheck:
    """A lifetime cumulative-dose check, in the protocol's dose unit (mitoxantrone mg/m²)."""

    cap: float
    given: float
    booked: float
    requested: float

    @property
    def headroom(self) -> float:
        """What is left after the doses already given (the figure shown to staff)."""
        return self.cap - self.given

    @property
    def left_after(self) -> float:
        """What would be left after the given, booked and requested doses."""
        return self.cap - self.given - self.booked - self.requested

    @property
    def ok(self) -> bool:
        # A hair of tolerance so 140.0 after 11 × 12 + 8 is not refused by float dust.
        return self.left_after >= -1e-9


def check_lifetime_cap(
    cap: float, *, given: list[float], booked: list[float], requested: list[float]
) -> CapCheck:
    """Dose-based lifetime cap: the sum of doses given, booked and requested must stay within
    `cap` (mitoxantrone 140 mg/m²). Replaces counting full doses, so a reduced dose leaves
    headroom for more."""
    return CapCheck(
        cap=float(cap),
        given=float(sum(given)),
        booked=float(sum(booked)),
        requested=float(sum(requested)),
    )
