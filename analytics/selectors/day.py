"""How the infusion days went: on-time starts, waits, chair time (planned against actual),
no-shows and late cancellations. Every figure is one aggregate query (or one per grouping),
whatever the number of sessions.

Definitions (the manager reads them under each chart):
- on time: the infusion started (started_at) no later than 15 minutes after its planned start
  (infusion_start); early starts are on time. Counted over sessions whose infusion started.
- arrival wait: arrived (checked_in_at) to seated (in_chair_at); drug wait: seated to infusion
  started. Planned chair time: planned start to planned observation end; actual: seated to
  discharged (completed_at).
- attendance counts appointments already due (planned start before now) that were still on
  the books 48 hours ahead: no-shows, and cancellations under 48 h and under 24 h.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from django.db.models import Avg, Case, Count, DurationField, ExpressionWrapper, F, Q, Value, When
from django.db.models.functions import ExtractHour, ExtractIsoWeekDay
from django.utils import timezone

from analytics.selectors.filters import WEEKDAYS, Filters, sessions_in
from scheduling.models import Protocol, SessionStatus

ON_TIME_MINUTES = 15
LEAD_BANDS = (  # (upper bound in days, label); the last band has no bound
    (3, "under 3 days"),
    (8, "3-7 days"),
    (15, "1-2 weeks"),
    (29, "2-4 weeks"),
    (None, "over 4 weeks"),
)


def _minutes(td: dt.timedelta | None) -> float | None:
    return round(td.total_seconds() / 60, 1) if td is not None else None


def _pct(part: int, whole: int) -> float | None:
    return round(100.0 * part / whole, 1) if whole else None


def _span(a: str, b: str) -> ExpressionWrapper:
    return ExpressionWrapper(F(b) - F(a), output_field=DurationField())


# --- grouping keys --------------------------------------------------------------------------


def _key_expr(by: str, tz: ZoneInfo):
    if by == "protocol":
        return F("protocol_id")
    if by == "weekday":
        return ExtractIsoWeekDay("start", tzinfo=tz)
    if by == "hour":
        return ExtractHour("start", tzinfo=tz)
    if by == "lead":
        lead = _span("created_at", "start")
        whens = [
            When(_lead__lt=dt.timedelta(days=bound), then=Value(i))
            for i, (bound, _) in enumerate(LEAD_BANDS)
            if bound is not None
        ]
        return lead, Case(*whens, default=Value(len(LEAD_BANDS) - 1))
    raise ValueError(by)


def _grouped(qs, by: str, tz: ZoneInfo, aggregates: dict) -> list[tuple[object, str, dict]]:
    """[(key, label, aggregates)] ordered by key; one query (plus one for protocol names)."""
    expr = _key_expr(by, tz)
    if by == "lead":
        qs = qs.annotate(_lead=expr[0])
        expr = expr[1]
    rows = list(qs.annotate(_key=expr).values("_key").annotate(**aggregates).order_by("_key"))
    if by == "protocol":
        found = {
            pk: (code, name)
            for pk, code, name in Protocol.objects.filter(
                pk__in=[r["_key"] for r in rows]
            ).values_list("pk", "code", "brand_name")
        }
        key = lambda k: found.get(k, (k, ""))[0]  # noqa: E731
        label = lambda k: found.get(k, (k, str(k)))[1]  # noqa: E731
    elif by == "weekday":
        key, label = (lambda k: k - 1), (lambda k: WEEKDAYS[k - 1])
    elif by == "hour":
        key, label = (lambda k: k), (lambda k: f"{k:02d}:00")
    else:
        key, label = (lambda k: k), (lambda k: LEAD_BANDS[k][1])
    return [
        (key(r["_key"]), label(r["_key"]), {k: v for k, v in r.items() if k != "_key"})
        for r in rows
    ]


# --- punctuality ------------------------------------------------------------------------------


@dataclass
class Punctuality:
    key: object
    label: str
    started: int
    on_time: int
    arrival_wait: float | None  # minutes
    drug_wait: float | None
    planned_chair: float | None
    actual_chair: float | None

    @property
    def on_time_pct(self) -> float | None:
        return _pct(self.on_time, self.started)

    @property
    def late(self) -> int:
        return self.started - self.on_time


def _punctuality_aggregates() -> dict:
    return {
        "started": Count("id"),
        "on_time": Count(
            "id",
            filter=Q(started_at__lte=F("infusion_start") + dt.timedelta(minutes=ON_TIME_MINUTES)),
        ),
        "arrival_wait": Avg(_span("checked_in_at", "in_chair_at")),
        "drug_wait": Avg(_span("in_chair_at", "started_at")),
        "planned_chair": Avg(
            _span("start", "observation_end"),
            filter=Q(completed_at__isnull=False, in_chair_at__isnull=False),
        ),
        "actual_chair": Avg(_span("in_chair_at", "completed_at")),
    }


def _punctuality_row(key, label, agg: dict) -> Punctuality:
    return Punctuality(
        key=key,
        label=label,
        started=agg["started"],
        on_time=agg["on_time"],
        arrival_wait=_minutes(agg["arrival_wait"]),
        drug_wait=_minutes(agg["drug_wait"]),
        planned_chair=_minutes(agg["planned_chair"]),
        actual_chair=_minutes(agg["actual_chair"]),
    )


def _started(filters: Filters, tz: ZoneInfo):
    return sessions_in(filters, tz).filter(started_at__isnull=False)


def punctuality(filters: Filters, tz: ZoneInfo) -> Punctuality:
    """On-time starts, waits and chair time over the whole period (one query)."""
    agg = _started(filters, tz).aggregate(**_punctuality_aggregates())
    return _punctuality_row("all", "All", agg)


def punctuality_by(filters: Filters, tz: ZoneInfo, by: str) -> list[Punctuality]:
    """The same figures by protocol, weekday or planned start hour (one query each)."""
    return [
        _punctuality_row(k, label, agg)
        for k, label, agg in _grouped(_started(filters, tz), by, tz, _punctuality_aggregates())
    ]


# --- attendance ------------------------------------------------------------------------------


@dataclass
class Attendance:
    key: object
    label: str
    appointments: int
    no_shows: int
    late_cancel_24h: int
    late_cancel_48h: int  # includes those under 24 h

    @property
    def no_show_pct(self) -> float | None:
        return _pct(self.no_shows, self.appointments)

    @property
    def late_cancel_24h_pct(self) -> float | None:
        return _pct(self.late_cancel_24h, self.appointments)

    @property
    def late_cancel_48h_pct(self) -> float | None:
        return _pct(self.late_cancel_48h, self.appointments)


def _appointments(filters: Filters, tz: ZoneInfo):
    cancelled = Q(status=SessionStatus.CANCELLED)
    early = cancelled & (
        Q(cancelled_at__isnull=True) | Q(cancelled_at__lt=F("start") - dt.timedelta(hours=48))
    )
    return sessions_in(filters, tz).filter(start__lt=timezone.now()).exclude(early)


def _attendance_aggregates() -> dict:
    cancelled = Q(status=SessionStatus.CANCELLED)
    return {
        "appointments": Count("id"),
        "no_shows": Count("id", filter=Q(status=SessionStatus.NO_SHOW)),
        "late_cancel_24h": Count(
            "id", filter=cancelled & Q(cancelled_at__gte=F("start") - dt.timedelta(hours=24))
        ),
        "late_cancel_48h": Count("id", filter=cancelled),
    }


def attendance(filters: Filters, tz: ZoneInfo) -> Attendance:
    """No-show and late-cancel counts over the whole period (one query)."""
    agg = _appointments(filters, tz).aggregate(**_attendance_aggregates())
    return Attendance("all", "All", **agg)


def attendance_by(filters: Filters, tz: ZoneInfo, by: str) -> list[Attendance]:
    """The same by protocol, weekday, planned start hour or booking lead time ("lead")."""
    return [
        Attendance(k, label, **agg)
        for k, label, agg in _grouped(_appointments(filters, tz), by, tz, _attendance_aggregates())
    ]
