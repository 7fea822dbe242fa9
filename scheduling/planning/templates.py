"""The weekly template between its rows (WeeklyTemplate + TemplateStart) and the engine.

- to_engine / cells_from_engine: row <-> engine.template.WeeklyTemplate.
- template_demand: the last weeks' sessions and the due pipeline as the engine's ClassDemand.
- published_guide: the TemplateGuide every slot search gets (None when nothing is published),
  cached per (template id, updated_at, release settings) so a search pays one small query.
"""

from __future__ import annotations

import datetime as dt

from django.db.models import F

from scheduling.engine import template as etemplate
from scheduling.models import (
    CenterSettings,
    InfusionSession,
    OpeningHours,
    SessionStatus,
    TemplateStart,
    TemplateStatus,
    WeeklyTemplate,
)
from scheduling.world import center_tz


def _hhmm(m: int) -> str:
    return f"{m // 60:02d}:{m % 60:02d}"


def _minute(text: str) -> int:
    hh, _, mm = str(text).partition(":")
    return int(hh) * 60 + int(mm or 0)


def center_hours() -> dict[int, tuple[int, int]]:
    """weekday -> (open minute, close minute), local, from the opening hours."""
    return {
        h.weekday: (h.opens.hour * 60 + h.opens.minute, h.closes.hour * 60 + h.closes.minute)
        for h in OpeningHours.objects.all()
    }


def to_engine(row: WeeklyTemplate, starts=None) -> etemplate.WeeklyTemplate:
    """The engine's template from a stored one (its cells read unless given)."""
    cells = starts if starts is not None else row.starts.all()
    hours = {int(wd): (_minute(a), _minute(b)) for wd, (a, b) in (row.hours or {}).items()}
    class_minutes = {**etemplate.DEFAULT_CLASS_MINUTES, **(row.class_minutes or {})}
    return etemplate.WeeklyTemplate(
        slot_minutes=row.slot_minutes,
        hours=hours,
        starts={
            (c.weekday, c.start.hour * 60 + c.start.minute, c.duration_class): c.count
            for c in cells
            if c.count
        },
        class_minutes={k: int(v) for k, v in class_minutes.items()},
        status=row.status,
    )


def cells_from_engine(row: WeeklyTemplate, t: etemplate.WeeklyTemplate) -> list[TemplateStart]:
    return [
        TemplateStart(
            template=row,
            weekday=wd,
            start=dt.time(m // 60, m % 60),
            duration_class=cls,
            count=n,
        )
        for (wd, m, cls), n in sorted(t.starts.items())
        if n and m < 24 * 60
    ]


def engine_hours_json(hours: dict[int, tuple[int, int]]) -> dict:
    return {str(wd): [_hhmm(o), _hhmm(c)] for wd, (o, c) in sorted(hours.items())}


def chair_minutes_expr():
    """Chair minutes of a session as the template counts them (turnover not included)."""
    return F("observation_end") - F("start")


def template_demand(
    *, today: dt.date, weeks: int = 8, horizon_days: int = 21, headroom: float = 1.0
) -> tuple[list[etemplate.ClassDemand], dict]:
    """Weekly demand per weekday and duration class: the sessions of the last `weeks` weeks
    (given or still on the books, not cancelled) and the due pipeline for `horizon_days`
    (each due dose on its due date's weekday). Returns (demand, what it was built from)."""
    from scheduling.selectors import due_worklist
    from scheduling.world import dose_rule_specs

    tz = center_tz()
    since = dt.datetime.combine(today - dt.timedelta(weeks=weeks), dt.time(0), tzinfo=tz)
    until = dt.datetime.combine(today, dt.time(0), tzinfo=tz)
    visits = []
    rows = InfusionSession.objects.filter(start__gte=since, start__lt=until).exclude(
        status__in=[SessionStatus.CANCELLED]
    )
    for start, end in rows.values_list("start", "observation_end"):
        local = start.astimezone(tz)
        visits.append((local, int((end - start).total_seconds() // 60)))
    due_pairs = []
    specs_cache: dict[int, list] = {}
    items = due_worklist(today=today, horizon_days=horizon_days)
    from scheduling import engine

    for item in items:
        specs = specs_cache.get(item.protocol.pk)
        if specs is None:
            specs = specs_cache[item.protocol.pk] = dose_rule_specs(item.protocol)
        try:
            timing = engine.rule_for(specs, item.dose_number).timing
        except ValueError:
            continue
        day = max(item.due_date, today)
        due_pairs.append(
            (dt.datetime.combine(day, dt.time(9), tzinfo=tz), engine.session_minutes(timing))
        )
    # The due doses are this horizon's, the visits `weeks` weeks': spread the due doses over
    # the weeks of the horizon so both count per week.
    horizon_weeks = max(1, -(-horizon_days // 7))
    demand = etemplate.demand_from_history(visits, weeks=weeks, headroom=headroom)
    due_demand = etemplate.demand_from_history(due_pairs, weeks=horizon_weeks)
    merged: dict[tuple[int, str], etemplate.ClassDemand] = {
        (d.weekday, d.duration_class): d for d in demand
    }
    for d in due_demand:
        key = (d.weekday, d.duration_class)
        have = merged.get(key)
        if have is None or d.count > have.count:
            # The pipeline already knows more than history for this weekday and class.
            merged[key] = etemplate.ClassDemand(
                d.weekday,
                d.duration_class,
                d.count,
                d.chair_minutes,
                have.preferred_minute if have else d.preferred_minute,
            )
    source = {
        "weeks": weeks,
        "history_from": (today - dt.timedelta(weeks=weeks)).isoformat(),
        "history_to": today.isoformat(),
        "visits": len(visits),
        "due_doses": len(due_pairs),
        "due_horizon_days": horizon_days,
    }
    return sorted(merged.values(), key=lambda d: (d.weekday, d.duration_class)), source


# --- the guide every search gets ---------------------------------------------------------------

_GUIDE_CACHE: dict[tuple, etemplate.TemplateGuide] = {}


def published_guide(center: CenterSettings | None = None) -> etemplate.TemplateGuide | None:
    """The published template as the slot search's guide, or None when none is published."""
    center = center or CenterSettings.load()
    head = (
        WeeklyTemplate.objects.filter(status=TemplateStatus.PUBLISHED)
        .values_list("pk", "updated_at")
        .first()
    )
    if head is None:
        return None
    protect = center.template_protect_until
    key = (
        head[0],
        head[1],
        center.template_release_hours,
        protect.hour * 60 + protect.minute,
    )
    guide = _GUIDE_CACHE.get(key)
    if guide is None:
        row = WeeklyTemplate.objects.get(pk=head[0])
        guide = etemplate.TemplateGuide(
            to_engine(row),
            release_hours=center.template_release_hours,
            protect_until_minute=key[3],
        )
        if len(_GUIDE_CACHE) > 16:
            _GUIDE_CACHE.clear()
        _GUIDE_CACHE[key] = guide
    return guide


def guide_with_holds(guide, holds, center: CenterSettings) -> etemplate.TemplateGuide:
    """`guide` (or, with none published, an empty template's) plus the patient's own held
    starts, which then rank like template starts."""
    if guide is None:
        protect = center.template_protect_until
        return etemplate.TemplateGuide(
            etemplate.WeeklyTemplate(15, {}, {}),
            release_hours=center.template_release_hours,
            protected_classes=(),
            protect_until_minute=protect.hour * 60 + protect.minute,
            holds=holds,
        )
    return etemplate.TemplateGuide(
        guide.template,
        release_hours=guide.release_hours,
        protected_classes=guide.protected,
        protect_until_minute=guide.protect_until,
        weight=guide.weight,
        holds=holds,
    )
