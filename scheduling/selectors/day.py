"""A nurse roster and the day board."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass

from patients import readiness
from scheduling.models import (
    ACTIVE_STATUSES,
    Chair,
    DoseRule,
    InfusionSession,
    SessionStatus,
    center_settings_scope,
)
from scheduling.selectors.readiness import (
    _treatments_for,
    lab_readiness_for_sessions,
    rems_status,
)
from scheduling.selectors.sessions import (
    session_list,
)
from scheduling.world import center_tz

# --- roster and day board ------------------------------------------------------------------------


@dataclass
class RosterEntry:
    session: InfusionSession
    lab: readiness.Checklist
    rems: str | None
    premed_items: str

    @property
    def red_each_dose(self) -> bool:
        """An "each dose" lab is red: starting needs the nurse's acknowledgement."""
        return any(i.gate == "each_dose" and i.status == "red" for i in self.lab.items)


def premed_items_for(sessions) -> dict[int, str]:
    """The premedication text of each session's dose rule, from one query."""
    rules = defaultdict(list)
    for r in DoseRule.objects.filter(protocol_id__in={s.protocol_id for s in sessions}):
        rules[r.protocol_id].append(r)
    out = {}
    for s in sessions:
        match = [r for r in rules[s.protocol_id] if r.covers(s.dose_number)]
        best = next((r for r in match if r.option == s.option), match[0] if match else None)
        out[s.pk] = best.premed_items if best else ""
    return out


@center_settings_scope
def roster(
    *, day: dt.date, nurse: int | None = None, include_inactive: bool = False
) -> list[RosterEntry]:
    """A nurse's (or the whole floor's) day in start order, with labs and REMS."""
    statuses = (
        None
        if include_inactive
        else [*ACTIVE_STATUSES, SessionStatus.COMPLETED, SessionStatus.NO_SHOW]
    )
    sessions = list(session_list(date=day, nurse=nurse, status=statuses))
    labs = lab_readiness_for_sessions(sessions)
    treatments = _treatments_for(sessions)
    premeds = premed_items_for(sessions)
    tz = center_tz()
    return [
        RosterEntry(
            s,
            labs[s.pk],
            rems_status(s, treatments.get((s.patient_id, s.protocol_id)), tz=tz),
            premeds[s.pk],
        )
        for s in sessions
    ]


@dataclass
class BoardRow:
    chair: Chair
    entries: list[RosterEntry]


@dataclass
class Board:
    day: dt.date
    opens: dt.datetime | None
    closes: dt.datetime | None
    rows: list[BoardRow]


@center_settings_scope
def day_board(*, day: dt.date) -> Board:
    """Chairs as rows, the day's active and finished sessions on each."""
    from scheduling.models import OpeningHours

    tz = center_tz()
    entries = roster(day=day)
    by_chair = defaultdict(list)
    for e in entries:
        by_chair[e.session.chair_id].append(e)
    hours = OpeningHours.objects.filter(weekday=day.weekday()).first()
    opens = dt.datetime.combine(day, hours.opens, tzinfo=tz) if hours else None
    closes = dt.datetime.combine(day, hours.closes, tzinfo=tz) if hours else None
    rows = [BoardRow(c, by_chair.get(c.pk, [])) for c in Chair.objects.filter(active=True)]
    return Board(day, opens, closes, rows)
