"""Find and book: the slot search form, booking, the confirmation page, new patients."""

from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django.views.decorators.http import require_http_methods

from patients.models import Patient, PatientProtocol
from scheduling import engine, selectors, services
from scheduling.exceptions import BookingConflict, LabGateUnacknowledged, SchedulingError
from scheduling.forms import (
    BookForm,
    PatientForm,
    PatientSearchForm,
    SlotSearchForm,
    center_today,
)
from scheduling.models import (
    InfusionSession,
    Reminder,
    Series,
)
from scheduling.roles import FRONT_DESK, MANAGER
from scheduling.views.board import (
    _present_slots,
)
from scheduling.views.common import (
    SLOT_LIMIT,
    role_required,
)
from scheduling.world import dose_rule_specs

# --- find and book --------------------------------------------------------------------------------


def _patient_or_none(raw) -> Patient | None:
    try:
        return Patient.objects.get(pk=int(raw)) if raw else None
    except (ValueError, TypeError, Patient.DoesNotExist):
        return None


def _search_defaults(patient: Patient, params) -> dict:
    """Prefill protocol, dose, series and dates the way the due worklist would."""
    data = {k: params.get(k) for k in SlotSearchForm.base_fields if params.get(k) not in (None, "")}
    data["patient"] = patient.pk
    if "protocol" not in data:
        treatments = list(
            PatientProtocol.objects.filter(patient=patient, active=True).select_related("protocol")
        )
        if len(treatments) == 1:
            data["protocol"] = treatments[0].protocol.code
    protocol = None
    if "protocol" in data:
        protocol = selectors.protocol_list().filter(code=data["protocol"]).first()
    today = center_today()
    if protocol is not None:
        if "dose_number" not in data:
            data["dose_number"] = services.expected_next_dose(patient, protocol)
        if "date_from" not in data:
            due = selectors.next_due_for(patient=patient, protocol=protocol)
            start = due.window_start if due and due.window_start else today
            data["date_from"] = max(today, start).isoformat()
        if "searched" not in params:  # first visit: book the whole series when the dose starts one
            try:
                legs = engine.series_legs(
                    dose_rule_specs(protocol),
                    int(data["dose_number"]),
                    data.get("option") or "standard",
                    None,
                )
                data["series"] = "on" if len(legs) > 1 else ""
            except (ValueError, TypeError):
                pass
    data.setdefault("date_from", today.isoformat())
    if "date_to" not in data:
        try:
            data["date_to"] = (
                dt.date.fromisoformat(str(data["date_from"])) + dt.timedelta(days=14)
            ).isoformat()
        except ValueError:
            data["date_to"] = (today + dt.timedelta(days=14)).isoformat()
    return data


def _find_slots(form) -> list[dict]:
    cd = form.cleaned_data
    if any(
        cd.get(k) is None for k in ("patient", "protocol", "dose_number", "date_from", "date_to")
    ):
        return []
    try:
        found = selectors.availability(
            patient=cd["patient"],
            protocol=cd["protocol"],
            dose_number=cd["dose_number"],
            date_from=cd["date_from"],
            date_to=cd["date_to"],
            limit=SLOT_LIMIT,
            option=cd["option"],
            series=cd["series"],
            spread="days",
        )
        slots = _present_slots(found)
        # Mark the options whose gating labs cannot be resulted in time.
        risks = selectors.slot_labs_at_risk(
            patient_id=cd["patient"].pk, protocol_id=cd["protocol"].pk, slots=found
        )
        for slot, risk in zip(slots, risks, strict=True):
            slot["labs_at_risk"] = risk
        return slots
    except (SchedulingError, ValueError) as exc:
        form.add_error("dose_number", str(exc))
        return []


def _render_book(
    request, *, patient, form, slots, searched, conflict=None, conflict_code="", status=200
):
    from scheduling.views.availability import availability_context
    from scheduling.views.options import search_query

    first_of_day = set()
    seen_days = set()
    for i, o in enumerate(slots):
        d = o["start"].date()
        if d not in seen_days:
            seen_days.add(d)
            first_of_day.add(i)
        o["first_of_day"] = i in first_of_day
    context = {
        "search_qs": search_query(form) if searched else "",
        **availability_context(request, patient),
        "patient": patient,
        "form": form,
        "slots": slots,
        "searched": searched,
        "conflict_code": conflict_code,
        "conflict": conflict,
        "treatments": PatientProtocol.objects.filter(patient=patient, active=True).select_related(
            "protocol"
        ),
        "protocols": selectors.protocol_list(),
    }
    template = "scheduling/partials/book_main.html" if request.htmx else "scheduling/book.html"
    return render(request, template, context, status=status)


@require_http_methods(["GET", "POST"])
@role_required(FRONT_DESK, MANAGER)
def book(request):
    """Find and book: choose the patient, see the ranked options, book one or the whole series."""
    if request.method == "POST":
        return _book_post(request)
    patient = _patient_or_none(request.GET.get("patient"))
    if patient is None:
        search = PatientSearchForm(request.GET or None)
        results = (
            selectors.patient_search(query=search.cleaned_data["q"]) if search.is_valid() else []
        )
        template = (
            "scheduling/partials/patient_results.html"
            if request.htmx
            else "scheduling/book_patient.html"
        )
        return render(
            request,
            template,
            {"search": search, "results": results, "bad_patient": bool(request.GET.get("patient"))},
        )
    data = _search_defaults(patient, request.GET)
    if "protocol" not in data:  # nothing to search yet: an unbound form, no errors shown
        form = SlotSearchForm(initial=data)
        return _render_book(request, patient=patient, form=form, slots=[], searched=False)
    form = SlotSearchForm(data)
    if form.is_valid():
        expected = services.expected_next_dose(patient, form.cleaned_data["protocol"])
        if form.cleaned_data["dose_number"] != expected:
            form.add_error(
                "dose_number",
                f"The next {form.cleaned_data['protocol'].brand_name} dose for "
                f"this patient is dose {expected}.",
            )
    slots = _find_slots(form) if form.is_valid() else []
    return _render_book(
        request,
        patient=patient,
        form=form,
        slots=slots,
        searched=form.is_valid(),
        status=200 if form.is_valid() else 400,
    )


def _book_post(request):
    form = BookForm(request.POST)
    patient = _patient_or_none(request.POST.get("patient"))
    if patient is None:
        messages.error(request, "Choose the patient first.")
        return redirect("book")
    if not form.is_valid():
        search = SlotSearchForm(request.POST)
        if not search.is_valid():
            return _render_book(
                request, patient=patient, form=search, slots=[], searched=False, status=400
            )
        slots = _find_slots(search)
        search.add_error(None, "Choose an option from the list below.")
        return _render_book(
            request, patient=patient, form=search, slots=slots, searched=True, status=400
        )
    cd = form.cleaned_data
    conflict_code = ""
    try:
        if cd["series"]:
            series = services.book_series(
                patient=patient,
                protocol=cd["protocol"],
                start=cd["start"],
                by=request.user,
                first_dose=cd["dose_number"],
                option=cd["option"],
                override_reason=cd["override_reason"],
                lab_acknowledgement=cd["lab_acknowledgement"],
            )
            return redirect("booking_done", kind="series", pk=series.pk)
        session = services.book_session(
            patient=patient,
            protocol=cd["protocol"],
            dose_number=cd["dose_number"],
            start=cd["start"],
            by=request.user,
            chair=cd["chair"],
            nurse=cd["nurse"],
            option=cd["option"],
            override_reason=cd["override_reason"],
            lab_acknowledgement=cd["lab_acknowledgement"],
        )
        return redirect("booking_done", kind="session", pk=session.pk)
    except LabGateUnacknowledged as exc:
        # Not taken by anyone: the coordinator must say why booking anyway is right.
        conflict, status = None, 409
        form.add_error(None, str(exc))
    except BookingConflict as exc:
        conflict, status = str(exc), 409
        conflict_code = exc.code
    except SchedulingError as exc:
        conflict, status = None, 400
        visible = exc.field in form.fields and not form.fields[exc.field].widget.is_hidden
        form.add_error(exc.field if visible else None, str(exc))
    # Fresh options: the list the coordinator saw is stale now.
    return _render_book(
        request,
        patient=patient,
        form=form,
        slots=_find_slots(form),
        searched=True,
        conflict=conflict,
        conflict_code=conflict_code,
        status=status,
    )


@role_required(FRONT_DESK, MANAGER)
def booking_done(request, kind: str, pk: int):
    """The confirmation a coordinator reads back to the patient on the phone."""
    qs = InfusionSession.objects.select_related("patient", "protocol", "chair", "nurse")
    if kind == "series":
        series = get_object_or_404(Series, pk=pk)
        sessions = list(qs.filter(series=series).order_by("start"))
    elif kind == "session":
        sessions = list(qs.filter(pk=pk))
    else:
        raise Http404
    if not sessions:
        raise Http404
    reminders = Reminder.objects.filter(session__in=sessions).order_by("due_at")
    return render(
        request,
        "scheduling/booking_done.html",
        {
            "sessions": sessions,
            "patient": sessions[0].patient,
            "protocol": sessions[0].protocol,
            "reminders": reminders,
            "is_series": kind == "series",
        },
    )


@require_http_methods(["GET", "POST"])
@role_required(FRONT_DESK, MANAGER)
def patient_new(request):
    """Register a patient at the front desk, then go straight on to booking."""
    form = PatientForm(
        request.POST or None,
        initial={
            "first_name": request.GET.get("first_name", ""),
            "last_name": request.GET.get("last_name", ""),
        },
    )
    if request.method == "POST" and form.is_valid():
        patient = form.save()
        messages.success(request, f"{patient.full_name} ({patient.mrn}) is registered.")
        return redirect(f"{reverse('book')}?{urlencode({'patient': patient.pk})}")
    return render(
        request,
        "scheduling/patient_form.html",
        {"form": form},
        status=400 if request.method == "POST" else 200,
    )
