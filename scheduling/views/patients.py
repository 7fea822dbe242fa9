"""The due worklist and the patient pages."""

from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.views.decorators.http import require_http_methods

from orders import selectors as orders_selectors
from orders.models import OrdersSettings
from patients.models import LabResult, Patient, PatientProtocol
from scheduling import selectors
from scheduling.forms import (
    PatientSearchForm,
    center_today,
)
from scheduling.models import (
    ACTIVE_STATUSES,
    Reminder,
)
from scheduling.roles import FRONT_DESK, MANAGER, NURSE, roles_of
from scheduling.views.common import (
    role_required,
)

# --- due worklist and patients ---------------------------------------------------------------------


@role_required(FRONT_DESK, MANAGER)
def due(request):
    """Patients due or overdue for their next dose and not booked."""
    today = center_today()
    items = selectors.due_worklist(today=today)
    # Orders missing, expired or expiring for the listed patients (one query).
    order_flags = orders_selectors.order_flags(
        [(i.patient.pk, i.protocol.pk) for i in items],
        today=today,
        warn_days=OrdersSettings.load().expiry_warning_days,
    )
    rows = []
    for item in items:
        start = max(today, item.window_start)
        end = max(start + dt.timedelta(days=7), item.window_end)
        query = urlencode(
            {
                "patient": item.patient.pk,
                "protocol": item.protocol.code,
                "dose_number": item.dose_number,
                "date_from": start.isoformat(),
                "date_to": min(end, start + dt.timedelta(days=41)).isoformat(),
            }
        )
        rows.append(
            {
                "item": item,
                "book_url": f"{reverse('book')}?{query}",
                "order": order_flags.get((item.patient.pk, item.protocol.pk), ""),
            }
        )
    return render(request, "scheduling/due.html", {"rows": rows, "today": today})


@role_required(FRONT_DESK, NURSE, MANAGER)
def patient_list(request):
    search = PatientSearchForm(request.GET or None)
    results = selectors.patient_search(query=search.cleaned_data["q"]) if search.is_valid() else []
    template = (
        "scheduling/partials/patient_results.html"
        if request.htmx
        else "scheduling/patient_list.html"
    )
    return render(request, template, {"search": search, "results": results, "link_to": "patient"})


@role_required(FRONT_DESK, NURSE, MANAGER)
def patient_detail(request, pk: int):
    """Upcoming and past sessions, labs and readiness for the next session, reminders, contact."""
    patient = get_object_or_404(Patient, pk=pk)
    now = timezone.now()
    sessions = list(selectors.session_list(patient=patient.pk))
    upcoming = [s for s in sessions if s.start >= now and s.status in ACTIVE_STATUSES]
    past = [s for s in reversed(sessions) if s not in upcoming]
    next_session = upcoming[0] if upcoming else None
    treatments = []
    for t in (
        PatientProtocol.objects.filter(patient=patient)
        .select_related("protocol")
        .order_by("-active")
    ):
        due_dose = (
            selectors.next_due_for(patient=patient, protocol=t.protocol) if t.active else None
        )
        treatments.append({"t": t, "due": due_dose})
    from scheduling.views.availability import availability_context

    return render(
        request,
        "scheduling/patient_detail.html",
        {
            **availability_context(request, patient),
            "patient": patient,
            "upcoming": upcoming,
            "past": past[:30],
            "next_session": next_session,
            "checklist": selectors.lab_checklist(session=next_session) if next_session else None,
            "labs": LabResult.objects.filter(patient=patient).select_related("lab_test")[:40],
            "reminders": Reminder.objects.filter(session__patient=patient)
            .select_related("session__protocol")
            .order_by("-due_at")[:40],
            "treatments": treatments,
            "can_book": bool(roles_of(request.user) & {FRONT_DESK, MANAGER}),
            "can_edit_contact": bool(roles_of(request.user) & {FRONT_DESK, MANAGER}),
        },
    )


@require_http_methods(["GET", "POST"])
@role_required(FRONT_DESK, MANAGER)
def patient_contact(request, pk: int):
    """The front desk edits a patient's contact details and consent (audited, in place errors)."""
    from patients.registration import PatientDataError
    from patients.services import update_contact
    from scheduling.forms import ContactForm

    patient = get_object_or_404(Patient, pk=pk)
    form = ContactForm.for_patient(patient, request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        source = data.pop("consent_source")
        try:
            update_contact(patient=patient, by=request.user, consent_source=source, **data)
        except PatientDataError as exc:
            form.add_error(exc.field if exc.field in form.fields else None, str(exc))
        else:
            messages.success(request, "Contact details saved.")
            return redirect("patient_detail", pk=patient.pk)
    return render(
        request,
        "scheduling/patient_contact.html",
        {"form": form, "patient": patient},
        status=400 if request.method == "POST" else 200,
    )
