"""The nurse roster and its actions."""

from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django.views.decorators.http import require_POST

from orders.selectors import allergies_by_patient
from scheduling import selectors, services
from scheduling.exceptions import SchedulingError
from scheduling.forms import (
    RosterForm,
)
from scheduling.models import (
    Nurse,
)
from scheduling.roles import MANAGER, NURSE
from scheduling.views.board import (
    _session,
)
from scheduling.views.common import (
    role_required,
)
from scheduling.world import center_tz

# --- nurse roster ------------------------------------------------------------------------------------

ROSTER_ACTIONS = {
    "check-in": (services.check_in, "checked in"),
    "rems": (services.record_rems_check, "REMS check recorded"),
    "start": (services.start_infusion, "started"),
    "end-infusion": (services.end_infusion, "infusion ended"),
    "complete": (services.complete, "completed"),
    "no-show": (services.mark_no_show, "marked no-show"),
}


def _my_nurse(user) -> Nurse | None:
    return Nurse.objects.filter(user=user, active=True).first()


@role_required(NURSE, MANAGER)
def roster(request):
    """A nurse's patients for the day, in order; printable."""
    params = request.GET.copy()
    mine = _my_nurse(request.user)
    if "nurse" not in params and mine is not None:
        params["nurse"] = str(mine.pk)
    form = RosterForm(params)
    day = form.day()
    nurse = form.cleaned_data.get("nurse") if form.is_valid() else None
    entries = selectors.roster(day=day, nurse=nurse.pk if nurse else None)
    return render(
        request,
        "scheduling/roster.html",
        {
            "form": form,
            "day": day,
            "nurse": nurse,
            "entries": entries,
            # One query for every row's allergies (orders.selectors).
            "allergies": allergies_by_patient([e.session.patient_id for e in entries]),
            "prev_day": day - dt.timedelta(days=1),
            "next_day": day + dt.timedelta(days=1),
            "printing": request.GET.get("print") == "1",
        },
    )


@require_POST
@role_required(NURSE, MANAGER)
def roster_action(request, pk: int, action: str):
    """Check in, REMS check, start, complete or no-show from a roster row; htmx swaps the row."""
    if action not in ROSTER_ACTIONS:
        raise Http404
    service, done = ROSTER_ACTIONS[action]
    session = _session(pk)
    error = None
    extra = {}
    if action == "start":
        extra["lab_acknowledgement"] = request.POST.get("lab_acknowledgement", "")[:300]
    try:
        service(session=session, by=request.user, **extra)
    except SchedulingError as exc:
        error = str(exc)
    day = session.start.astimezone(center_tz()).date()
    if not request.htmx:
        if error:
            messages.error(request, error)
        else:
            messages.success(request, f"{session.patient.full_name}: {done}.")
        return redirect(f"{reverse('roster')}?{urlencode({'date': day.isoformat()})}")
    entry = next(
        e
        for e in selectors.roster(day=day, nurse=session.nurse_id, include_inactive=True)
        if e.session.pk == session.pk
    )
    return render(
        request,
        "scheduling/partials/roster_row.html",
        {
            "entry": entry,
            "row_error": error,
            "row_notice": None if error else done,
        },
    )
