"""The planner screen: run the due-pipeline planner over a horizon, review every proposal on
one screen, book the chosen ones or send them to the patients to confirm."""

from __future__ import annotations

import datetime as dt

from django import forms
from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_POST

from scheduling.exceptions import BookingConflict, SchedulingError
from scheduling.forms import DateInput, center_today, parse_aware
from scheduling.models import CenterSettings, PlanRun, PlanRunStatus, ProposalStatus
from scheduling.roles import FRONT_DESK, MANAGER
from scheduling.services import planner as planner_service
from scheduling.views.common import role_required


class PlanForm(forms.Form):
    date_from = forms.DateField(label="From", widget=DateInput())
    date_to = forms.DateField(label="To", widget=DateInput())
    time_limit = forms.IntegerField(
        label="Time limit (s)", min_value=1, max_value=600, required=False
    )


def _proposal_rows(run: PlanRun):
    return list(
        run.proposals.select_related("patient", "protocol", "chair", "nurse", "session").order_by(
            "status", "start", "pk"
        )
    )


def _context(request, run: PlanRun | None, *, form=None, highlight=()):
    center = CenterSettings.load()
    today = center_today()
    if form is None:
        form = PlanForm(
            initial={
                "date_from": today + dt.timedelta(days=1),
                "date_to": today + dt.timedelta(days=center.planner_horizon_days),
                "time_limit": center.planner_time_limit_seconds,
            }
        )
    rows = _proposal_rows(run) if run and run.status == PlanRunStatus.DONE else []
    return {
        "form": form,
        "run": run,
        "runs": PlanRun.objects.order_by("-created_at")[:8],
        "rows": rows,
        "open_rows": [r for r in rows if r.status == ProposalStatus.PROPOSED],
        "highlight": set(highlight),
        "counts": {
            s: sum(1 for r in rows if r.status == s)
            for s in ("proposed", "booked", "sent", "accepted", "declined", "unplaced", "stale")
        },
    }


@require_http_methods(["GET", "POST"])
@role_required(FRONT_DESK, MANAGER)
def planner(request):
    """GET: the latest run (or ?run=); POST: start a run over the horizon."""
    if request.method == "POST":
        form = PlanForm(request.POST)
        if form.is_valid():
            cd = form.cleaned_data
            try:
                run = planner_service.start_plan(
                    date_from=cd["date_from"],
                    date_to=cd["date_to"],
                    by=request.user,
                    time_limit=cd.get("time_limit"),
                )
            except SchedulingError as exc:
                form.add_error(exc.field if exc.field in form.fields else None, str(exc))
            else:
                return redirect(f"{reverse('planner')}?run={run.pk}")
        return render(
            request, "scheduling/planner.html", _context(request, None, form=form), status=400
        )
    run = None
    if request.GET.get("run", "").isdigit():
        run = PlanRun.objects.filter(pk=int(request.GET["run"])).first()
    if run is None:
        run = PlanRun.objects.order_by("-created_at").first()
    return render(request, "scheduling/planner.html", _context(request, run))


@role_required(FRONT_DESK, MANAGER)
def planner_progress(request, pk: int):
    """Polled by the page while the solve runs; asks for a reload when it is finished."""
    run = get_object_or_404(PlanRun, pk=pk)
    if run.status in (PlanRunStatus.DONE, PlanRunStatus.FAILED):
        response = HttpResponse(status=200)
        response["HX-Refresh"] = "true"
        return response
    return render(request, "scheduling/partials/planner_progress.html", {"run": run})


@require_POST
@role_required(FRONT_DESK, MANAGER)
def planner_apply(request, pk: int):
    """Book (or send) the ticked proposals, each on its own: one taken slot does not undo the
    others. A taken slot answers 409 with the fresh proposals highlighted."""
    run = get_object_or_404(PlanRun, pk=pk)
    action = request.POST.get("action")
    ids = [int(i) for i in request.POST.getlist("proposal") if i.isdigit()]
    if action not in ("book", "send") or not ids:
        messages.error(request, "Tick the proposals to book or send first.")
        return redirect(f"{reverse('planner')}?run={run.pk}")
    reason = request.POST.get("override_reason", "").strip()[:500]
    done, taken, problems = 0, [], []
    for p in run.proposals.filter(pk__in=ids).order_by("start", "pk"):
        seen = request.POST.get(f"seen_{p.pk}", "")
        try:
            expected = parse_aware(seen) if seen else None
        except forms.ValidationError:
            expected = None
        try:
            if action == "book":
                planner_service.book_proposal(
                    proposal=p, by=request.user, override_reason=reason, expected_start=expected
                )
            else:
                planner_service.send_proposal(proposal=p, by=request.user)
            done += 1
        except BookingConflict as exc:
            if exc.code == "conflict" or "new slot" in str(exc):
                taken.append((p.pk, str(exc)))
            else:  # e.g. no active treatment order: the coordinator must act, not re-pick
                problems.append(f"{p.patient.full_name}: {exc}")
        except SchedulingError as exc:
            problems.append(f"{p.patient.full_name}: {exc}")
    verb = "Booked" if action == "book" else "Sent to the patient"
    if done:
        messages.success(request, f"{verb}: {done}.")
    for text in problems:
        messages.error(request, text)
    if taken:
        messages.warning(
            request,
            f"{len(taken)} could not be {'booked' if action == 'book' else 'sent'}: "
            "someone else took the slot or changed the proposal. Fresh proposals are "
            "highlighted below; check them and book again.",
        )
        ctx = _context(request, run, highlight=[pk for pk, _ in taken])
        return render(request, "scheduling/planner.html", ctx, status=409)
    return redirect(f"{reverse('planner')}?run={run.pk}")
