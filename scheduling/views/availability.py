"""Patient availability: the card on the patient page and in find-and-book (htmx)."""

from __future__ import annotations

from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_http_methods

from patients import availability as availability_service
from patients.forms import AvailabilityForm, AvailabilityWindowFormSet, availability_initial
from patients.models import Patient
from scheduling.exceptions import SchedulingError
from scheduling.roles import FRONT_DESK, MANAGER, roles_of
from scheduling.views.common import role_required

PREFIX = "aw"


def availability_context(request, patient, *, form=None, formset=None, saved=False, edit=False):
    """What the availability card needs; used by the patient page and find-and-book too."""
    head, rows = availability_initial(patient)
    return {
        "patient": patient,
        "windows": list(patient.availability_windows.all()),
        "av_form": form or AvailabilityForm(initial=head, prefix=PREFIX),
        "av_formset": formset or AvailabilityWindowFormSet(initial=rows, prefix=PREFIX),
        "av_saved": saved,
        "av_edit": edit,
        "av_can_edit": bool(roles_of(request.user) & {FRONT_DESK, MANAGER}),
    }


def _safe_next(request) -> str | None:
    nxt = request.POST.get("next") or request.GET.get("next")
    if nxt and url_has_allowed_host_and_scheme(nxt, allowed_hosts={request.get_host()}):
        return nxt
    return None


@require_http_methods(["GET", "POST"])
@role_required(FRONT_DESK, MANAGER)
def patient_availability(request, pk: int):
    """When the patient can come: weekday and time windows (must or wish), preferred start,
    short-notice flag. Saving re-runs the option search on the find-and-book page."""
    patient = get_object_or_404(Patient, pk=pk)
    template = "scheduling/partials/availability_card.html"
    if request.method == "GET":
        ctx = availability_context(request, patient, edit=request.GET.get("edit") == "1")
        if not request.htmx:
            template = "scheduling/availability.html"
        return render(request, template, ctx)
    form = AvailabilityForm(request.POST, prefix=PREFIX)
    formset = AvailabilityWindowFormSet(request.POST, prefix=PREFIX)
    if form.is_valid() and formset.is_valid():
        windows = [
            f.as_json()
            for f in formset.forms
            if f.cleaned_data and not f.is_blank and not f.cleaned_data.get("DELETE")
        ]
        try:
            patient = availability_service.set_availability(
                patient=patient,
                windows=windows,
                preferred_minute=form.preferred_minute(),
                short_notice_ok=form.cleaned_data["short_notice_ok"],
                by=request.user,
            )
        except SchedulingError as exc:
            form.add_error(None, str(exc))
        else:
            if not request.htmx:
                return redirect(_safe_next(request) or reverse("patient_detail", args=[pk]))
            response = render(request, template, availability_context(request, patient, saved=True))
            # The find-and-book form listens for this and searches again with the new windows.
            response["HX-Trigger"] = "availability-changed"
            return response
    ctx = availability_context(request, patient, form=form, formset=formset, edit=True)
    if not request.htmx:
        template = "scheduling/availability.html"
    return render(request, template, ctx, status=400)
