"""The weekly template page (nurse managers): build a draft with CP-SAT, review it weekday
by weekday beside its occupancy curve, edit counts, publish; the release horizon setting."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_POST

from scheduling.engine import template as etemplate
from scheduling.exceptions import BookingConflict, SchedulingError
from scheduling.models import CenterSettings, TemplateStatus, WeeklyTemplate
from scheduling.planning.charts import curve_chart
from scheduling.planning.templates import to_engine
from scheduling.roles import MANAGER
from scheduling.services import template as template_service
from scheduling.views.common import role_required

WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


class BuildForm(forms.Form):
    weeks = forms.IntegerField(label="Weeks of history", min_value=1, max_value=52, initial=8)
    horizon_days = forms.IntegerField(
        label="Due pipeline (days ahead)", min_value=0, max_value=90, initial=21
    )
    headroom = forms.FloatField(
        label="Headroom (1.1 = 10 % growth)", min_value=0.5, max_value=2.0, initial=1.0
    )
    name = forms.CharField(label="Name", max_length=120, required=False)


class ReleaseForm(forms.ModelForm):
    class Meta:
        model = CenterSettings
        fields = ["template_release_hours", "template_protect_until"]
        widgets = {"template_protect_until": forms.TimeInput(attrs={"type": "time"})}


def _day_view(row: WeeklyTemplate, weekday: int):
    t = to_engine(row)
    if weekday not in t.hours:
        return None
    o, c = t.hours[weekday]
    slots = []
    curve = dict(t.occupancy_curve(weekday))
    for m in range(o, c, t.slot_minutes):
        cells = [
            {"cls": code, "count": t.starts.get((weekday, m, code), 0)}
            for code in etemplate.CLASS_CODES
        ]
        slots.append(
            {
                "minute": m,
                "label": f"{m // 60:02d}:{m % 60:02d}",
                "cells": cells,
                "busy": curve.get(m, 0),
            }
        )
    chairs = int(row.source.get("chairs") or max([s["busy"] for s in slots] + [1]))
    chart = curve_chart(
        [("Chairs busy if the template is booked", "template", sorted(curve.items()))],
        y_max=chairs,
    )
    totals = {
        code: sum(n for (wd, _, c2), n in t.starts.items() if wd == weekday and c2 == code)
        for code in etemplate.CLASS_CODES
    }
    return {
        "slots": slots,
        "chart": chart,
        "chairs": chairs,
        "totals": totals,
        "peak": max(curve.values(), default=0),
    }


@require_http_methods(["GET", "POST"])
@role_required(MANAGER)
def template_page(request):
    """The list of templates, the build form, and the chosen template's weekday grid."""
    center = CenterSettings.load()
    build = BuildForm(request.POST or None, prefix="b")
    release = ReleaseForm(instance=center, prefix="r")
    status = 200
    if request.method == "POST":
        if build.is_valid():
            cd = build.cleaned_data
            try:
                row = template_service.build_template_draft(
                    by=request.user,
                    weeks=cd["weeks"],
                    horizon_days=cd["horizon_days"],
                    headroom=cd["headroom"],
                    name=cd["name"],
                )
            except SchedulingError as exc:
                build.add_error(exc.field if exc.field in build.fields else None, str(exc))
            else:
                messages.success(
                    request, f"Draft “{row.name}” built ({row.source.get('solver_status')})."
                )
                return redirect(f"{reverse('template_page')}?t={row.pk}")
        status = 400
    templates = list(WeeklyTemplate.objects.select_related("published_by")[:20])
    chosen = None
    if request.GET.get("t", "").isdigit():
        chosen = WeeklyTemplate.objects.filter(pk=int(request.GET["t"])).first()
    if chosen is None:
        chosen = next((t for t in templates if t.status == TemplateStatus.PUBLISHED), None) or (
            templates[0] if templates else None
        )
    weekday = int(request.GET["day"]) if request.GET.get("day", "").isdigit() else None
    days = []
    if chosen is not None:
        open_days = sorted(int(k) for k in (chosen.hours or {}))
        if weekday not in open_days:
            weekday = open_days[0] if open_days else None
        days = [(d, WEEKDAYS[d]) for d in open_days]
    view = _day_view(chosen, weekday) if chosen is not None and weekday is not None else None
    return render(
        request,
        "scheduling/template.html",
        {
            "build": build,
            "release": release,
            "center": center,
            "templates": templates,
            "chosen": chosen,
            "weekday": weekday,
            "weekday_name": WEEKDAYS[weekday] if weekday is not None else "",
            "days": days,
            "view": view,
            "classes": [(c, etemplate.CLASS_LABELS[c]) for c in etemplate.CLASS_CODES],
            "editable": chosen is not None and chosen.status == TemplateStatus.DRAFT,
        },
        status=status,
    )


@require_POST
@role_required(MANAGER)
def template_day(request, pk: int, weekday: int):
    """Save one weekday's counts of a draft."""
    row = get_object_or_404(WeeklyTemplate, pk=pk)
    counts = {}
    try:
        for key, value in request.POST.items():
            if not key.startswith("c_"):
                continue
            _, minute, cls = key.split("_", 2)
            n = int(value or 0)
            counts[(int(minute), cls)] = n
        template_service.set_template_day(
            template=row, weekday=weekday, counts=counts, by=request.user
        )
        messages.success(request, f"{WEEKDAYS[weekday]} saved.")
    except (ValueError, IndexError):
        messages.error(request, "Each count is a whole number.")
    except (SchedulingError, BookingConflict) as exc:
        messages.error(request, str(exc))
    return redirect(f"{reverse('template_page')}?t={row.pk}&day={weekday}")


@require_POST
@role_required(MANAGER)
def template_action(request, pk: int, action: str):
    """publish | unpublish | copy."""
    row = get_object_or_404(WeeklyTemplate, pk=pk)
    try:
        if action == "publish":
            row = template_service.publish_template(template=row, by=request.user)
            messages.success(request, f"“{row.name}” is published: the slot search follows it now.")
        elif action == "unpublish":
            row = template_service.unpublish_template(template=row, by=request.user)
            messages.success(request, f"“{row.name}” is withdrawn.")
        elif action == "copy":
            row = template_service.copy_template(template=row, by=request.user)
            messages.success(request, f"Draft “{row.name}” created.")
        else:
            messages.error(request, "Unknown action.")
    except (SchedulingError, BookingConflict) as exc:
        messages.error(request, str(exc))
    return redirect(f"{reverse('template_page')}?t={row.pk}")


@require_POST
@role_required(MANAGER)
def template_release(request):
    """The release horizon: until this many hours before a day, long morning starts are kept."""
    center = CenterSettings.load()
    form = ReleaseForm(request.POST, instance=center, prefix="r")
    if form.is_valid():
        template_service.set_release_settings(
            release_hours=form.cleaned_data["template_release_hours"],
            protect_until=form.cleaned_data["template_protect_until"],
            by=request.user,
        )
        messages.success(request, "Release horizon saved.")
    else:
        messages.error(
            request,
            "Check the release horizon: "
            + " ".join(e for errs in form.errors.values() for e in errs),
        )
    return redirect("template_page")
