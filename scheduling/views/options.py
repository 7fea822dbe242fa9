"""Find-and-book helpers for a phone conversation: "more on this day", the patient's week
view (days green/amber/grey), and fit-me-in when the day the patient needs is full."""

from __future__ import annotations

import datetime as dt

from django.core import signing
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_POST

from scheduling import selectors
from scheduling.exceptions import BookingConflict, SchedulingError
from scheduling.forms import SlotSearchForm, center_today
from scheduling.models import Chair, Nurse
from scheduling.planning import fit as fit_planning
from scheduling.roles import FRONT_DESK, MANAGER
from scheduling.services import fitmein as fit_service
from scheduling.views.board import _present_slots
from scheduling.views.common import SLOT_LIMIT, role_required


def search_query(form) -> str:
    """The search as a query string (for the "more on this day" and week-view requests)."""
    from django.utils.http import urlencode

    if not form.is_bound or not form.is_valid():
        return ""
    cd = form.cleaned_data
    q = {
        "patient": cd["patient"].pk,
        "protocol": cd["protocol"].code,
        "dose_number": cd["dose_number"],
        "option": cd["option"],
        "date_from": cd["date_from"].isoformat(),
        "date_to": cd["date_to"].isoformat(),
    }
    if cd.get("series"):
        q["series"] = "on"
    if cd.get("override_reason"):
        q["override_reason"] = cd["override_reason"]
    return urlencode(q)


def _day(raw) -> dt.date | None:
    try:
        return dt.date.fromisoformat(str(raw))
    except (TypeError, ValueError):
        return None


def _search(params):
    """The search form as find-and-book sent it; dates default to the day asked about."""
    data = params.copy()
    day = _day(params.get("day"))
    if day is not None:
        data.setdefault("date_from", day.isoformat())
        data.setdefault("date_to", day.isoformat())
    return SlotSearchForm(data), day


@require_GET
@role_required(FRONT_DESK, MANAGER)
def book_more(request):
    """More options on one day, spaced apart ("more on this day")."""
    form, day = _search(request.GET)
    if day is None or not form.is_valid():
        return render(
            request,
            "scheduling/partials/day_options.html",
            {"error": "Choose a day from the list."},
            status=400,
        )
    cd = form.cleaned_data
    try:
        slots = _present_slots(
            selectors.availability(
                patient=cd["patient"],
                protocol=cd["protocol"],
                dose_number=cd["dose_number"],
                date_from=day,
                date_to=day,
                limit=SLOT_LIMIT,
                option=cd["option"],
                series=cd["series"],
                spread="day",
            )
        )
    except (SchedulingError, ValueError) as exc:
        return render(
            request, "scheduling/partials/day_options.html", {"error": str(exc)}, status=400
        )
    return render(
        request,
        "scheduling/partials/day_options.html",
        {
            "slots": slots,
            "day": day,
            "form": form,
            "patient": cd["patient"],
            "search_qs": search_query(form),
        },
    )


@require_GET
@role_required(FRONT_DESK, MANAGER)
def book_week(request):
    """The patient's week: each day green, amber or grey, a click shows that day's options."""
    form, _ = _search(request.GET)
    if not form.is_valid():
        return render(
            request, "scheduling/partials/week_view.html", {"error": "Search first."}, status=400
        )
    cd = form.cleaned_data
    start = _day(request.GET.get("week")) or cd["date_from"]
    week_start = selectors.week_start_of(start)
    try:
        cells = selectors.patient_week(
            patient=cd["patient"],
            protocol=cd["protocol"],
            dose_number=cd["dose_number"],
            week_start=week_start,
            option=cd["option"],
            series=cd["series"],
        )
    except (SchedulingError, ValueError) as exc:
        return render(
            request, "scheduling/partials/week_view.html", {"error": str(exc)}, status=400
        )
    return render(
        request,
        "scheduling/partials/week_view.html",
        {
            "cells": cells,
            "week_start": week_start,
            "prev_week": week_start - dt.timedelta(days=7),
            "next_week": week_start + dt.timedelta(days=7),
            "can_go_back": week_start > selectors.week_start_of(center_today()),
            "form": form,
            "patient": cd["patient"],
            "search_qs": search_query(form),
        },
    )


def _fit_context(form, day, plan, *, allow_shift, conflict=None):
    return {
        "form": form,
        "patient": form.cleaned_data["patient"],
        "day": day,
        "plan": plan,
        "allow_shift": allow_shift,
        "conflict": conflict,
        "chair": Chair.objects.filter(pk=plan.placement.chair_id).first() if plan else None,
        "nurse": Nurse.objects.filter(pk=plan.placement.nurse_id).first() if plan else None,
    }


def _propose(form, day, allow_shift):
    cd = form.cleaned_data
    return fit_planning.propose_fit(
        patient=cd["patient"],
        protocol=cd["protocol"],
        dose_number=cd["dose_number"],
        day=day,
        option=cd["option"],
        allow_shift=allow_shift,
    )


@require_POST
@role_required(FRONT_DESK, MANAGER)
def book_fit(request):
    """Propose a repack of the needed day. The page shows exactly what would change."""
    form, day = _search(request.POST)
    if day is None or not form.is_valid():
        return render(
            request,
            "scheduling/fit.html",
            {"error": "Choose the day the patient needs."},
            status=400,
        )
    allow_shift = request.POST.get("allow_shift") == "on"
    try:
        plan = _propose(form, day, allow_shift)
    except (SchedulingError, ValueError) as exc:
        return render(request, "scheduling/fit.html", {"error": str(exc), "form": form}, status=400)
    ctx = _fit_context(form, day, plan, allow_shift=allow_shift)
    return render(request, "scheduling/fit.html", ctx, status=200 if plan else 404)


@require_POST
@role_required(FRONT_DESK, MANAGER)
def book_fit_apply(request):
    """Apply the proposal the coordinator saw (signed), in one transaction; a day that changed
    meanwhile answers 409 with a fresh proposal."""
    form, day = _search(request.POST)
    if day is None or not form.is_valid():
        return render(
            request,
            "scheduling/fit.html",
            {"error": "Choose the day the patient needs."},
            status=400,
        )
    try:
        data = fit_planning.read_plan(request.POST.get("plan", ""))
    except signing.BadSignature:
        return render(
            request,
            "scheduling/fit.html",
            {"error": "This proposal is too old; propose again.", "form": form},
            status=400,
        )
    cd = form.cleaned_data
    if (
        data["patient"] != cd["patient"].pk
        or data["protocol"] != cd["protocol"].code
        or data["dose"] != cd["dose_number"]
    ):
        return render(
            request,
            "scheduling/fit.html",
            {"error": "The proposal is for another dose.", "form": form},
            status=400,
        )
    try:
        session = fit_service.apply_fit(
            patient=cd["patient"],
            protocol=cd["protocol"],
            dose_number=cd["dose_number"],
            start=data["start"],
            chair=Chair.objects.get(pk=data["chair"]),
            nurse=Nurse.objects.get(pk=data["nurse"]),
            moves=data["moves"],
            allow_shift=data["shift"],
            by=request.user,
            option=data["option"],
            override_reason=cd.get("override_reason") or "",
        )
    except BookingConflict as exc:
        if exc.code not in ("conflict", "state"):  # e.g. no order: a repack would not help
            return render(
                request, "scheduling/fit.html", {"error": str(exc), "form": form}, status=409
            )
        plan = _propose(form, day, data["shift"])
        ctx = _fit_context(form, day, plan, allow_shift=data["shift"], conflict=str(exc))
        return render(request, "scheduling/fit.html", ctx, status=409)
    except SchedulingError as exc:
        return render(request, "scheduling/fit.html", {"error": str(exc), "form": form}, status=400)
    return redirect("booking_done", kind="session", pk=session.pk)
