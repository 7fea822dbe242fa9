"""What the day board shows of the waitlist: freed chair time being offered, as a block on the
chair's lane ("offered to J.D. until 10:40"), and the list with the desk's actions."""

from __future__ import annotations

import datetime as dt
import math

from waitlist import selectors
from waitlist.models import FreedStatus, OfferStatus


def add_freed_blocks(grid: dict, day: dt.date, *, start: dt.datetime, step: dt.timedelta) -> list:
    """Attach `freed` blocks to the grid's chair rows; returns the day's open freed slots."""
    freed = [f for f in selectors.freed_on_day(day) if f.status == FreedStatus.OPEN]
    by_chair: dict[int, list] = {}
    for f in freed:
        live = [o for o in f.offers.all() if o.status == OfferStatus.OFFERED]
        first = max(0, math.floor((f.start - start) / step))
        last = min(grid["columns"], math.ceil((f.end - start) / step))
        if last <= first:
            continue
        if live:
            names = ", ".join(".".join(o.patient.initials) + "." for o in live)
            label = f"Offered to {names} until {min(o.hold_until for o in live):%H:%M}"
        else:
            label = "Freed: looking for a waitlisted patient"
        by_chair.setdefault(f.chair_id, []).append(
            {"freed": f, "label": label, "col_start": first + 2, "col_end": last + 2}
        )
    for row in grid["rows"]:
        row["freed"] = by_chair.get(row["chair"].id, [])
    return freed
