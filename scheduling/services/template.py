"""The weekly level-loading template: build a draft (CP-SAT), edit it, publish it.

A manager reviews the draft the engine proposes, edits counts per weekday, slot and duration
class, and publishes it; the slot search then follows the published template (see
scheduling/planning/templates.published_guide). Only drafts change; a published template is
copied into a new draft to be changed. Every step writes an audit row.
"""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils import timezone

from scheduling.engine import template as etemplate
from scheduling.exceptions import BookingConflict, SchedulingError
from scheduling.models import (
    AuditEvent,
    CenterSettings,
    Chair,
    Nurse,
    TemplateStart,
    TemplateStatus,
    WeeklyTemplate,
)
from scheduling.planning.templates import (
    cells_from_engine,
    center_hours,
    engine_hours_json,
    template_demand,
)


def _audit(action: str, template: WeeklyTemplate, *, by=None, before=None, reason="") -> None:
    AuditEvent.objects.create(
        action=action,
        actor=by if getattr(by, "is_authenticated", False) else None,
        actor_label="" if by else "system",
        before=before,
        after={
            "template_id": template.pk,
            "name": template.name,
            "status": template.status,
            "starts": sum(c.count for c in template.starts.all()),
        },
        reason=reason,
    )


def build_template_draft(
    *,
    by=None,
    weeks: int = 8,
    horizon_days: int = 21,
    headroom: float = 1.0,
    name: str = "",
    time_limit: float = 5.0,
    today: dt.date | None = None,
) -> WeeklyTemplate:
    """A draft template from the last `weeks` weeks of sessions and the due pipeline of the
    next `horizon_days`, solved by CP-SAT to flatten chair occupancy and nurse starts.

    The solve runs before the transaction (it may take seconds); the draft and its cells
    are then written in one transaction with an audit row."""
    if not 1 <= weeks <= 52:
        raise SchedulingError("Build from 1 to 52 weeks of history.", field="weeks")
    if not 0 <= horizon_days <= 90:
        raise SchedulingError("The due pipeline horizon is 0 to 90 days.", field="horizon_days")
    if not 0.5 <= headroom <= 2.0:
        raise SchedulingError("Headroom is between 0.5 and 2.0.", field="headroom")
    center = CenterSettings.load()
    from scheduling.forms import center_today

    today = today or center_today()
    demand, source = template_demand(
        today=today, weeks=weeks, horizon_days=horizon_days, headroom=headroom
    )
    hours = center_hours()
    if not hours:
        raise SchedulingError("Set the opening hours first.", field="hours")
    chairs = Chair.objects.filter(active=True).count()
    nurse_caps = list(
        Nurse.objects.filter(active=True).values_list("max_concurrent_patients", flat=True)
    )
    if not chairs or not nurse_caps:
        raise SchedulingError(
            "The center needs active chairs and nurses.", field="non_field_errors"
        )
    started = timezone.now()
    built = etemplate.build_template(
        demand=demand,
        hours=hours,
        chairs=chairs,
        nurses=len(nurse_caps),
        max_concurrent=max(1, round(sum(nurse_caps) / len(nurse_caps))),
        stagger_minutes=center.stagger_minutes,
        slot_minutes=center.slot_step_minutes,
        turnover_minutes=center.turnover_minutes,
        time_limit=time_limit,
        workers=2,
    )
    source.update(
        {
            "solver_status": built.status,
            "objective": built.objective,
            "solve_seconds": round((timezone.now() - started).total_seconds(), 2),
            "chairs": chairs,
            "nurses": len(nurse_caps),
            "headroom": headroom,
            "demand": [
                {
                    "weekday": d.weekday,
                    "class": d.duration_class,
                    "count": d.count,
                    "chair_minutes": d.chair_minutes,
                }
                for d in demand
            ],
        }
    )
    with transaction.atomic():
        row = WeeklyTemplate.objects.create(
            name=(name or f"Template of {today:%b %-d, %Y}")[:120],
            status=TemplateStatus.DRAFT,
            slot_minutes=built.slot_minutes,
            hours=engine_hours_json(built.hours),
            class_minutes=dict(built.class_minutes),
            source=source,
            created_by=by if getattr(by, "is_authenticated", False) else None,
        )
        TemplateStart.objects.bulk_create(cells_from_engine(row, built))
        _audit("template_built", row, by=by)
    return row


def _lock_draft(template: WeeklyTemplate) -> WeeklyTemplate:
    row = WeeklyTemplate.objects.select_for_update().get(pk=template.pk)
    if row.status != TemplateStatus.DRAFT:
        raise BookingConflict(
            f"“{row.name}” is {row.get_status_display().lower()}; copy it to a new draft to "
            "change it.",
            conflicts=[{"rule": "state", "resource": f"template:{row.pk}", "detail": row.status}],
        )
    return row


@transaction.atomic
def set_template_day(
    *, template: WeeklyTemplate, weekday: int, counts: dict[tuple[int, str], int], by=None
) -> WeeklyTemplate:
    """Replace one weekday of a draft: `counts[(slot minute, class code)] = starts`."""
    if not 0 <= weekday <= 6:
        raise SchedulingError("The weekday is 0 (Monday) to 6 (Sunday).", field="weekday")
    row = _lock_draft(template)
    hours = {int(k): v for k, v in (row.hours or {}).items()}
    if weekday not in hours:
        raise SchedulingError("The center is closed on that weekday.", field="weekday")
    open_m = _m(hours[weekday][0])
    close_m = _m(hours[weekday][1])
    cells = []
    for (minute, cls), n in sorted(counts.items()):
        if cls not in etemplate.CLASS_CODES:
            raise SchedulingError(f"Unknown duration class {cls!r}.", field="counts")
        if not isinstance(n, int) or not 0 <= n <= 200:
            raise SchedulingError("Each count is a whole number from 0 to 200.", field="counts")
        if not open_m <= minute < close_m or (minute - open_m) % row.slot_minutes:
            raise SchedulingError(
                f"{minute // 60:02d}:{minute % 60:02d} is not a slot of that day.", field="counts"
            )
        if n:
            cells.append(
                TemplateStart(
                    template=row,
                    weekday=weekday,
                    start=dt.time(minute // 60, minute % 60),
                    duration_class=cls,
                    count=n,
                )
            )
    before = {
        "weekday": weekday,
        "starts": sum(row.starts.filter(weekday=weekday).values_list("count", flat=True)),
    }
    row.starts.filter(weekday=weekday).delete()
    TemplateStart.objects.bulk_create(cells)
    row.save(update_fields=["updated_at"])
    _audit("template_edited", row, by=by, before=before)
    return row


def _m(text: str) -> int:
    hh, _, mm = str(text).partition(":")
    return int(hh) * 60 + int(mm or 0)


@transaction.atomic
def publish_template(*, template: WeeklyTemplate, by=None) -> WeeklyTemplate:
    """Publish a draft: the one published before is retired in the same transaction, and
    every slot search from now on follows this one."""
    row = _lock_draft(template)
    current = list(
        WeeklyTemplate.objects.select_for_update().filter(status=TemplateStatus.PUBLISHED)
    )
    for old in current:
        old.status = TemplateStatus.RETIRED
        old.save(update_fields=["status", "updated_at"])
        _audit("template_retired", old, by=by)
    row.status = TemplateStatus.PUBLISHED
    row.published_by = by if getattr(by, "is_authenticated", False) else None
    row.published_at = timezone.now()
    row.save(update_fields=["status", "published_by", "published_at", "updated_at"])
    _audit("template_published", row, by=by)
    return row


@transaction.atomic
def unpublish_template(*, template: WeeklyTemplate, by=None) -> WeeklyTemplate:
    """Stop following a published template (the search goes back to plain ranking)."""
    row = WeeklyTemplate.objects.select_for_update().get(pk=template.pk)
    if row.status != TemplateStatus.PUBLISHED:
        raise BookingConflict(
            "Only the published template can be withdrawn.",
            conflicts=[{"rule": "state", "resource": f"template:{row.pk}", "detail": row.status}],
        )
    row.status = TemplateStatus.RETIRED
    row.save(update_fields=["status", "updated_at"])
    _audit("template_retired", row, by=by)
    return row


@transaction.atomic
def copy_template(*, template: WeeklyTemplate, by=None) -> WeeklyTemplate:
    """A new draft with the same cells (to change a published or retired template)."""
    src = WeeklyTemplate.objects.get(pk=template.pk)
    row = WeeklyTemplate.objects.create(
        name=f"Copy of {src.name}"[:120],
        status=TemplateStatus.DRAFT,
        slot_minutes=src.slot_minutes,
        hours=src.hours,
        class_minutes=src.class_minutes,
        source={**src.source, "copied_from": src.pk},
        created_by=by if getattr(by, "is_authenticated", False) else None,
    )
    TemplateStart.objects.bulk_create(
        TemplateStart(
            template=row,
            weekday=c.weekday,
            start=c.start,
            duration_class=c.duration_class,
            count=c.count,
        )
        for c in src.starts.all()
    )
    _audit("template_built", row, by=by, reason=f"copied from template {src.pk}")
    return row


@transaction.atomic
def set_release_settings(*, release_hours: int, protect_until: dt.time, by=None) -> CenterSettings:
    """The release horizon of the template's protected long-infusion morning starts."""
    if not 0 <= release_hours <= 24 * 14:
        raise SchedulingError(
            "The release horizon is 0 to 336 hours.", field="template_release_hours"
        )
    center = CenterSettings.objects.select_for_update().get(pk=CenterSettings.load().pk)
    before = {
        "template_release_hours": center.template_release_hours,
        "template_protect_until": center.template_protect_until.strftime("%H:%M"),
    }
    center.template_release_hours = release_hours
    center.template_protect_until = protect_until
    center.save(update_fields=["template_release_hours", "template_protect_until"])
    AuditEvent.objects.create(
        action="template_release_changed",
        actor=by if getattr(by, "is_authenticated", False) else None,
        actor_label="" if by else "system",
        before=before,
        after={
            "template_release_hours": release_hours,
            "template_protect_until": protect_until.strftime("%H:%M"),
        },
    )
    return center
