"""Staff pages: the waitlist (priority, windows, offers sent and outcomes, freed time being
offered) and the desk's actions: add, remove, fill a freed slot by phone."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from scheduling.exceptions import BookingConflict, SchedulingError
from scheduling.forms import center_today
from scheduling.roles import FRONT_DESK, MANAGER, NURSE
from scheduling.views.common import role_required
from waitlist import selectors, services
from waitlist.forms import EntryForm
from waitlist.models import FreedSlot, Offer, WaitlistEntry

WEEKDAYS = "Mon Tue Wed Thu Fri Sat Sun".split()


def windows_text(windows) -> str:
    """'Mon, Wed 08:00–12:00; not Fri' for the table."""
    parts = []
    for w in windows or []:
        days = ", ".join(WEEKDAYS[d] for d in sorted(w.get("weekdays", range(7))))
        span = f" {w.get('start', '00:00')}–{w.get('end', '24:00')}"
        if span == " 00:00–24:00":
            span = ""
        prefix = "not " if w.get("kind") == "unavailable" else ""
        wish = " (wish)" if w.get("strength") == "wish" else ""
        parts.append(f"{prefix}{days}{span}{wish}")
    return "; ".join(parts) or "any time we are open"


@role_required(FRONT_DESK, MANAGER, NURSE)
@require_http_methods(["GET", "POST"])
def waitlist_page(request):
    """The waitlist in priority order with its offers, open freed time, and the add form."""
    can_edit = bool({FRONT_DESK, MANAGER} & _roles(request))
    form = EntryForm(initial=EntryForm.initial_for(center_today()))
    status = 200
    if request.method == "POST":
        if not can_edit:
            raise PermissionDenied("Nurses see the waitlist; the front desk edits it.")
        form = EntryForm(request.POST)
        if form.is_valid():
            data = form.cleaned_data
            try:
                entry = services.add_entry(
                    patient=form.patient,
                    protocol=data["protocol"],
                    dose_number=data["dose_number"],
                    earliest=data["earliest"],
                    latest=data["latest"],
                    min_notice_hours=data["min_notice_hours"],
                    channel=data["channel"],
                    urgent=data["urgent"],
                    notes=data["notes"],
                    by=request.user,
                )
            except (SchedulingError, BookingConflict) as exc:
                field = getattr(exc, "field", None)
                form.add_error(field if field in form.fields else None, str(exc))
            else:
                messages.success(request, f"{entry.patient.full_name} is on the waitlist.")
                return redirect("waitlist:page")
        status = 400
    entries = selectors.waitlist()
    active = [e for e in entries if e.is_active]
    ended = [e for e in entries if not e.is_active][:50]
    for i, e in enumerate(active, start=1):
        e.priority = i
        e.windows_text = windows_text(e.windows)
    recent = list(selectors.offers().select_related("patient", "chair")[:50])
    return render(
        request,
        "waitlist/waitlist.html",
        {
            "active": active,
            "ended": ended,
            "freed": selectors.open_freed(),
            "recent_offers": recent,
            "form": form,
            "can_edit": can_edit,
        },
        status=status,
    )


def _roles(request):
    from scheduling.roles import roles_of

    return roles_of(request.user)


@require_POST
@role_required(FRONT_DESK, MANAGER)
def entry_remove(request, pk: int):
    entry = get_object_or_404(WaitlistEntry, pk=pk)
    services.remove_entry(entry=entry, by=request.user)
    messages.success(request, f"{entry.patient.full_name} is off the waitlist.")
    return redirect("waitlist:page")


@require_POST
@role_required(FRONT_DESK, MANAGER)
def freed_filled(request, pk: int):
    """The desk filled the freed time by phone (someone not offered it): withdraw the offers."""
    freed = get_object_or_404(FreedSlot, pk=pk)
    n = services.withdraw_slot(freed=freed, by=request.user)
    messages.success(request, f"Marked as filled by phone; {n} open offer(s) withdrawn.")
    return redirect(request.POST.get("next") or "waitlist:page")


@require_POST
@role_required(FRONT_DESK, MANAGER)
def freed_book(request, pk: int):
    """The desk reached a waitlisted patient by phone: book them into the freed time."""
    freed = get_object_or_404(FreedSlot, pk=pk)
    entry = get_object_or_404(WaitlistEntry, pk=request.POST.get("entry") or 0)
    try:
        offer = services.fill_by_phone(freed=freed, entry=entry, by=request.user)
    except (SchedulingError, BookingConflict) as exc:
        messages.error(request, str(exc))
    else:
        messages.success(
            request,
            f"Booked {entry.patient.full_name} at {offer.start:%H:%M}; the other offers are "
            "withdrawn.",
        )
    return redirect(request.POST.get("next") or "waitlist:page")


@require_POST
@role_required(FRONT_DESK, MANAGER)
def offer_answer(request, pk: int):
    """The patient answered a call: accept or decline their offer for them."""
    offer = get_object_or_404(Offer, pk=pk)
    try:
        if request.POST.get("answer") == "accept":
            services.accept_offer(offer=offer, by=request.user, via="staff")
            messages.success(request, f"Booked {offer.patient.full_name}.")
        else:
            services.decline_offer(offer=offer, by=request.user, via="staff")
            messages.success(request, "Declined; the next patient will be offered the time.")
    except (SchedulingError, BookingConflict) as exc:
        messages.error(request, str(exc))
    return redirect("waitlist:page")
