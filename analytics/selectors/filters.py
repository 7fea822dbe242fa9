"""The period and the filters every figure takes, and the sessions they select."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, replace
from zoneinfo import ZoneInfo

from django.db.models import QuerySet
from django.db.models.functions import ExtractHour, ExtractIsoWeekDay

from scheduling.models import InfusionSession
from scheduling.world import day_bounds

MAX_SPAN_DAYS = 366
WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


@dataclass(frozen=True)
class Filters:
    """Center-local days date_from..date_to (inclusive) and optional narrowing: a protocol
    (code), a weekday (0 = Monday), a clock hour of the planned start (7 = 07:00-08:00), a
    chair area, a nurse (id)."""

    date_from: dt.date
    date_to: dt.date
    protocol: str | None = None
    weekday: int | None = None
    hour: int | None = None
    area: str | None = None
    nurse: int | None = None

    @property
    def days(self) -> int:
        return (self.date_to - self.date_from).days + 1

    def previous(self) -> Filters:
        """The period of the same length just before this one, with the same filters."""
        return replace(
            self,
            date_from=self.date_from - dt.timedelta(days=self.days),
            date_to=self.date_from - dt.timedelta(days=1),
        )

    def as_query(self) -> dict[str, str]:
        """The filters as query parameters (for links such as the CSV exports)."""
        out = {"date_from": self.date_from.isoformat(), "date_to": self.date_to.isoformat()}
        for name in ("protocol", "weekday", "hour", "area", "nurse"):
            value = getattr(self, name)
            if value is not None and value != "":
                out[name] = str(value)
        return out


def sessions_in(filters: Filters, tz: ZoneInfo, *, hour: bool = True) -> QuerySet:
    """Sessions planned to start in the period and matching the filters (any status).
    hour=False leaves out the hour filter (the occupancy curves pick their hour rows instead)."""
    lo = day_bounds(filters.date_from, tz)[0]
    hi = day_bounds(filters.date_to, tz)[1]
    qs = InfusionSession.objects.filter(start__gte=lo, start__lt=hi)
    if filters.protocol:
        qs = qs.filter(protocol__code=filters.protocol)
    if filters.area:
        qs = qs.filter(chair__area=filters.area)
    if filters.nurse:
        qs = qs.filter(nurse_id=filters.nurse)
    if filters.weekday is not None:
        qs = qs.annotate(_wd=ExtractIsoWeekDay("start", tzinfo=tz)).filter(_wd=filters.weekday + 1)
    if hour and filters.hour is not None:
        qs = qs.annotate(_hr=ExtractHour("start", tzinfo=tz)).filter(_hr=filters.hour)
    return qs
