"""Staff pages: the day board, find-and-book, the due worklist, patient pages, the nurse roster
and utilization. Server-rendered, htmx for partial updates.

Views stay thin: a form parses the input, one selector or service does the work, a template
renders it. Errors a coordinator can act on (BookingConflict, SchedulingError) are shown in
place with fresh options; nothing here answers 500 for bad input.
"""

from __future__ import annotations

import datetime as dt
import math
from functools import wraps

from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.views.decorators.http import require_http_methods, require_POST

from patients.models import LabResult, Patient, PatientProtocol
from scheduling import engine, selectors, services
from scheduling.exceptions import BookingConflict, SchedulingError
from scheduling.forms import (
    BookForm,
    CancelForm,
    DayForm,
    MoveForm,
    PatientForm,
    PatientSearchForm,
    RescheduleSearchForm,
    RosterForm,
    SlotSearchForm,
    UtilizationForm,
    center_today,
)
from scheduling.models import (
    ACTIVE_STATUSES,
    Chair,
    InfusionSession,
    Nurse,
    Reminder,
    Series,
    SessionStatus,
)
from scheduling.roles import FRONT_DESK, MANAGER, NURSE, roles_of
from scheduling.utilization import bar_chart, utilization
from scheduling.world import center_tz, dose_rule_specs

SLOT_LIMIT = 8
GRID_MINUTES = 15


def role_required(*allowed):
    """Signed-in staff in one of `allowed` roles; others get 403. Pages show the center's clock."""

    def decorator(view):
        @wraps(view)
        def wrapped(request, *args, **kwargs):
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            if not roles_of(request.user) & set(allowed):
                raise PermissionDenied("Your role cannot open this page.")
            timezone.activate(center_tz())
            return view(request, *args, **kwargs)

        return wrapped

    return decorator


def home(request):
    """The landing page sends each role to the page it lives in."""
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    roles = roles_of(request.user)
    if FRONT_DESK in roles or MANAGER in roles:
        return redirect("board")
    if NURSE in roles:
        return redirect("roster")
    raise PermissionDenied("Your account has no clinic role yet; ask the nurse manager.")


# --- day board ---------------------------------------------------------------------------------


def _board_grid(board: selectors.Board) -> dict:
    """Column positions of each session block and of its phases on a 15-minute grid."""
    tz = center_tz()
    day = board.day
    opens = board.opens or dt.datetime.combine(day, dt.time(7), tzinfo=tz)
    closes = board.closes or dt.datetime.combine(day, dt.time(19), tzinfo=tz)
    grid_start = opens.replace(minute=0, second=0, microsecond=0)
    grid_end = closes if closes.minute == 0 else closes.replace(minute=0) + dt.timedelta(hours=1)
    step = dt.timedelta(minutes=GRID_MINUTES)
    columns = max(1, int((grid_end - grid_start) / step))
    hours = []
    t = grid_start
    while t < grid_end:
        col = int((t - grid_start) / step) + 2
        hours.append(
            {
                "label": t.strftime("%H:%M"),
                "col": col,
                "span": min(60 // GRID_MINUTES, columns + 2 - col),
            }
        )
        t += dt.timedelta(hours=1)

    rows = []
    for index, row in enumerate(board.rows, start=2):
        blocks = []
        for entry in row.entries:
            s = entry.session
            first = max(0, math.floor((s.start - grid_start) / step))
            last = min(columns, math.ceil((s.chair_release_at - grid_start) / step))
            if last <= first:
                continue
            total = (s.chair_release_at - s.start).total_seconds() or 1
            phases = []
            for code, name, a, b in (
                ("P", "Arrival and premedication", s.start, s.infusion_start),
                ("I", "Infusion", s.infusion_start, s.infusion_end),
                ("O", "Observation", s.infusion_end, s.observation_end),
                ("T", "Turnover", s.observation_end, s.chair_release_at),
            ):
                share = (b - a).total_seconds() / total * 100
                if share > 0:
                    phases.append(
                        {"code": code, "name": name, "pct": round(share, 2), "start": a, "end": b}
                    )
            blocks.append(
                {
                    "entry": entry,
                    "session": s,
                    "col_start": first + 2,
                    "col_end": last + 2,
                    "phases": phases,
                }
            )
        rows.append({"chair": row.chair, "row": index, "blocks": blocks})
    return {"columns": columns, "hours": hours, "rows": rows}


@role_required(FRONT_DESK, MANAGER)
def board(request):
    """Chairs as rows, time as columns; a block per session with its phases."""
    form = DayForm(request.GET or None)
    day = form.day()
    data = selectors.day_board(day=day)
    return render(
        request,
        "scheduling/board.html",
        {
            "form": form,
            "day": day,
            "board": data,
            "grid": _board_grid(data),
            "prev_day": day - dt.timedelta(days=1),
            "next_day": day + dt.timedelta(days=1),
            "today": center_today(),
            "sessions_count": sum(len(r.entries) for r in data.rows),
        },
    )


def _session(pk: int) -> InfusionSession:
    return get_object_or_404(
        InfusionSession.objects.select_related("patient", "protocol", "chair", "nurse", "series"),
        pk=pk,
    )


def _panel_context(session: InfusionSession, **extra) -> dict:
    treatment = PatientProtocol.objects.filter(
        patient_id=session.patient_id, protocol_id=session.protocol_id, active=True
    ).first()
    return {
        "session": session,
        "lab": selectors.lab_checklist(session=session),
        "rems": selectors.rems_status(session, treatment),
        "cancel_form": extra.pop("cancel_form", None) or CancelForm(),
        "can_cancel": session.status
        in (SessionStatus.BOOKED, SessionStatus.CONFIRMED, SessionStatus.CHECKED_IN),
        "can_move": session.status in (SessionStatus.BOOKED, SessionStatus.CONFIRMED),
        "can_check_in": session.status in (SessionStatus.BOOKED, SessionStatus.CONFIRMED),
        **extra,
    }


@role_required(FRONT_DESK, MANAGER)
def session_detail(request, pk: int):
    """A session's details and actions: the board's side panel (htmx) or a page of its own."""
    session = _session(pk)
    template = (
        "scheduling/partials/session_panel.html"
        if request.htmx
        else "scheduling/session_detail.html"
    )
    return render(request, template, _panel_context(session))


def _board_url(session: InfusionSession) -> str:
    day = session.start.astimezone(center_tz()).date()
    return f"{reverse('board')}?{urlencode({'date': day.isoformat()})}"


@require_POST
@role_required(FRONT_DESK, MANAGER)
def session_cancel(request, pk: int):
    session = _session(pk)
    form = CancelForm(request.POST)
    action_error = None
    if form.is_valid():
        try:
            services.cancel(session=session, reason=form.cleaned_data["reason"], by=request.user)
        except SchedulingError as exc:
            if exc.field == "reason":
                form.add_error("reason", str(exc))
            else:
                action_error = str(exc)
        else:
            messages.success(
                request, f"Cancelled {session.patient.full_name}'s session; the chair is free."
            )
            return redirect(_board_url(session))
    return render(
        request,
        "scheduling/session_detail.html",
        _panel_context(session, cancel_form=form, action_error=action_error),
        status=400,
    )


@require_POST
@role_required(FRONT_DESK, MANAGER)
def session_check_in(request, pk: int):
    session = _session(pk)
    try:
        services.check_in(session=session, by=request.user)
    except SchedulingError as exc:
        return render(
            request,
            "scheduling/session_detail.html",
            _panel_context(session, action_error=str(exc)),
            status=400,
        )
    messages.success(request, f"{session.patient.full_name} is checked in.")
    return redirect(_board_url(session))


def _chair_nurse_names() -> tuple[dict, dict]:
    return dict(Chair.objects.values_list("pk", "name")), dict(
        Nurse.objects.values_list("pk", "name")
    )


def _present_slots(slots: list[engine.Slot]) -> list[dict]:
    """The engine's slots with chair and nurse names for the page (two queries)."""
    chairs, nurses = _chair_nurse_names()
    return [
        {
            "slot": slot,
            "start": slot.start,
            "legs": [
                {
                    "placement": p,
                    "t": p.timeline,
                    "chair": chairs.get(p.chair_id, "?"),
                    "nurse": nurses.get(p.nurse_id, "?"),
                }
                for p in slot.placements
            ],
            "chair_id": slot.placements[0].chair_id,
            "nurse_id": slot.placements[0].nurse_id,
        }
        for slot in slots
    ]


@require_http_methods(["GET", "POST"])
@role_required(FRONT_DESK, MANAGER)
def session_reschedule(request, pk: int):
    """Move a booked session: pick a new option from the engine's ranked list."""
    session = _session(pk)
    today = center_today()
    if request.method == "POST":
        form = MoveForm(request.POST)
    else:
        initial_from = max(
            today, session.start.astimezone(center_tz()).date() - dt.timedelta(days=3)
        )
        form = RescheduleSearchForm(
            request.GET
            if "date_from" in request.GET
            else {
                "date_from": initial_from.isoformat(),
                "date_to": (initial_from + dt.timedelta(days=10)).isoformat(),
            }
        )
    status, conflict = 200, None
    if request.method == "POST" and form.is_valid():
        cd = form.cleaned_data
        try:
            services.reschedule(
                session=session,
                start=cd["start"],
                by=request.user,
                chair=cd["chair"],
                nurse=cd["nurse"],
                override_reason=cd["override_reason"],
            )
        except BookingConflict as exc:
            conflict, status = str(exc), 409
        except SchedulingError as exc:
            form.add_error(exc.field if exc.field in form.fields else None, str(exc))
            status = 400
        else:
            messages.success(
                request, f"Moved {session.patient.full_name}'s session; the patient will be told."
            )
            return redirect(_board_url(session))
    elif request.method == "POST":
        status = 400
    slots = []
    if form.is_valid() or (
        form.is_bound and "date_from" in form.cleaned_data and "date_to" in form.cleaned_data
    ):
        cd = form.cleaned_data
        try:
            slots = _present_slots(
                selectors.availability(
                    patient=session.patient,
                    protocol=session.protocol,
                    dose_number=session.dose_number,
                    date_from=cd["date_from"],
                    date_to=cd["date_to"],
                    limit=SLOT_LIMIT,
                    option=session.option,
                )
            )
        except (SchedulingError, ValueError) as exc:
            form.add_error(None, str(exc))
    return render(
        request,
        "scheduling/reschedule.html",
        {
            "session": session,
            "form": form,
            "slots": slots,
            "conflict": conflict,
        },
        status=status,
    )


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
        return _present_slots(
            selectors.availability(
                patient=cd["patient"],
                protocol=cd["protocol"],
                dose_number=cd["dose_number"],
                date_from=cd["date_from"],
                date_to=cd["date_to"],
                limit=SLOT_LIMIT,
                option=cd["option"],
                series=cd["series"],
            )
        )
    except (SchedulingError, ValueError) as exc:
        form.add_error("dose_number", str(exc))
        return []


def _render_book(request, *, patient, form, slots, searched, conflict=None, status=200):
    context = {
        "patient": patient,
        "form": form,
        "slots": slots,
        "searched": searched,
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
        )
        return redirect("booking_done", kind="session", pk=session.pk)
    except BookingConflict as exc:
        conflict, status = str(exc), 409
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


# --- due worklist and patients ---------------------------------------------------------------------


@role_required(FRONT_DESK, MANAGER)
def due(request):
    """Patients due or overdue for their next dose and not booked."""
    today = center_today()
    items = selectors.due_worklist(today=today)
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
        rows.append({"item": item, "book_url": f"{reverse('book')}?{query}"})
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
    return render(
        request,
        "scheduling/patient_detail.html",
        {
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
        },
    )


# --- nurse roster ------------------------------------------------------------------------------------

ROSTER_ACTIONS = {
    "check-in": (services.check_in, "checked in"),
    "rems": (services.record_rems_check, "REMS check recorded"),
    "start": (services.start_infusion, "started"),
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
    try:
        service(session=session, by=request.user)
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


# --- utilization ---------------------------------------------------------------------------------------


@role_required(MANAGER)
def utilization_view(request):
    """Chair-hours booked vs open by hour and by day, peak concurrency, nurse load, as SVG."""
    form = UtilizationForm(request.GET or None)
    date_from, date_to = form.span()
    figures = utilization(date_from=date_from, date_to=date_to)
    by_hour = bar_chart(
        [
            (
                f"{h.hour:02d}",
                h.chair_hours_booked,
                h.chair_hours_open,
                f"{h.percent:.0f}%",
                f"{h.hour:02d}:00: {h.chair_hours_booked:.1f} of {h.chair_hours_open:.1f} chair-hours booked",
            )
            for h in figures.by_hour
        ]
    )
    open_days = [d for d in figures.by_day if d.is_open]
    by_day = bar_chart(
        [
            (
                d.day.strftime("%a %d"),
                d.chair_hours_booked,
                d.chair_hours_open,
                f"{d.percent:.0f}%",
                f"{d.day:%A %b %d}: {d.chair_hours_booked:.1f} of {d.chair_hours_open:.1f} chair-hours booked",
            )
            for d in open_days
        ]
    )
    peak = bar_chart(
        [
            (
                d.day.strftime("%a %d"),
                d.peak_chairs,
                figures.chairs,
                str(d.peak_chairs),
                f"{d.day:%A %b %d}: at most {d.peak_chairs} of {figures.chairs} chairs in use at once",
            )
            for d in open_days
        ],
        height=180,
    )
    load = bar_chart(
        [
            (
                f"{h.hour:02d}",
                h.nurse_load,
                None,
                f"{h.nurse_load:.2f}",
                f"{h.hour:02d}:00: {h.nurse_load:.2f} patients per nurse on shift; busiest nurse {h.peak_patients_per_nurse}",
            )
            for h in figures.by_hour
        ],
        height=180,
    )
    return render(
        request,
        "scheduling/utilization.html",
        {
            "form": form,
            "u": figures,
            "by_hour": by_hour,
            "by_day": by_day,
            "peak": peak,
            "load": load,
            "open_days": open_days,
        },
    )
