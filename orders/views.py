"""Pages: a patient's coverage entry, the authorization and order worklist, and the
manager's annual cost by site of care."""

from __future__ import annotations

from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect, render

from orders import estimate, selectors, services
from orders.forms import AllergyForm, AuthorizationForm, MeasurementForm, OrderForm
from orders.models import OrdersSettings
from patients.models import Patient
from scheduling.exceptions import SchedulingError
from scheduling.forms import center_today
from scheduling.roles import FRONT_DESK, MANAGER
from scheduling.views.common import role_required

FORMS = {
    "order": (OrderForm, services.create_order, "Order recorded."),
    "authorization": (AuthorizationForm, services.create_authorization, "Authorization recorded."),
    "measurement": (MeasurementForm, services.record_measurement, "Height and weight recorded."),
    "allergy": (AllergyForm, services.record_allergy, "Allergy recorded."),
}


@role_required(FRONT_DESK, MANAGER)
def coverage_edit(request, pk: int):
    """Record a treatment order, an authorization, a height and weight, or an allergy."""
    patient = get_object_or_404(Patient, pk=pk)
    bound = {}
    status = 200
    if request.method == "POST":
        kind = request.POST.get("kind", "")
        if kind not in FORMS:
            return redirect("patient_coverage_edit", pk=pk)
        form_class, service, done = FORMS[kind]
        form = form_class(request.POST, prefix=kind)
        if form.is_valid():
            try:
                service(patient=patient, by=request.user, **form.cleaned_data)
            except SchedulingError as exc:
                form.add_error(exc.field if exc.field in form.fields else None, str(exc))
            else:
                messages.success(request, done)
                return redirect("patient_detail", pk=pk)
        bound[kind] = form
        status = 400
    today = center_today()
    forms = {
        kind: bound.get(kind)
        or form_class(
            prefix=kind,
            initial={"signed_on": today, "valid_from": today, "measured_on": today},
        )
        for kind, (form_class, _s, _d) in FORMS.items()
    }
    return render(
        request, "orders/coverage_edit.html", {"patient": patient, "forms": forms}, status=status
    )


@role_required(FRONT_DESK, MANAGER)
def coverage_worklist(request):
    """Authorizations ending within 30 days or running out; orders expiring or expired."""
    today = center_today()
    warn = OrdersSettings.load().expiry_warning_days
    return render(
        request,
        "orders/worklist.html",
        {
            "today": today,
            "warn_days": warn,
            "authorizations": selectors.authorization_worklist(today=today, within_days=warn),
            "orders": selectors.order_worklist(today=today, within_days=warn),
        },
    )


@role_required(MANAGER)
def cost_by_site(request):
    """The current patients' annual cost (12 months around today) at each site of care."""
    sites, rows, totals = estimate.center_annual_by_site(today=center_today())
    return render(request, "orders/costs.html", {"sites": sites, "rows": rows, "totals": totals})
