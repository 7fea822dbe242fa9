"""Demand the center did not meet: searches that found no option inside the dose window
(recorded by the availability selector as SearchMiss rows) and due patients gone overdue."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import Count

from analytics.models import SearchMiss
from analytics.selectors.filters import Filters
from scheduling import selectors


@dataclass
class DemandRow:
    key: str
    label: str
    misses: int = 0  # searches in the period with no option inside the dose window
    overdue: int = 0  # patients overdue today (past the window, not booked)


def unmet_demand(filters: Filters, *, today: dt.date) -> list[DemandRow]:
    """Per protocol: search misses in the period and patients overdue today. The weekday,
    hour, area and nurse filters do not apply (nothing was booked); the protocol filter does.
    One query for the misses plus the due worklist's fixed few."""
    misses = SearchMiss.objects.filter(
        searched_on__gte=filters.date_from, searched_on__lte=filters.date_to
    )
    if filters.protocol:
        misses = misses.filter(protocol__code=filters.protocol)
    rows: dict[str, DemandRow] = {}
    for code, name, n in (
        misses.values_list("protocol__code", "protocol__brand_name")
        .annotate(n=Count("id"))
        .values_list("protocol__code", "protocol__brand_name", "n")
    ):
        rows[code] = DemandRow(code, name, misses=n)
    for item in selectors.due_worklist_refs(today=today, horizon_days=0):
        if item.overdue_days <= 0:
            continue
        code = item.protocol.code
        if filters.protocol and code != filters.protocol:
            continue
        rows.setdefault(code, DemandRow(code, item.protocol.brand_name)).overdue += 1
    return sorted(rows.values(), key=lambda r: (-(r.misses + r.overdue), r.label))
