"""The day board and the session panel: detail, cancel, check in, move."""

from __future__ import annotations

import datetime as dt
import math

from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.views.decorators.http import require_http_methods, require_POST

from patients.models import PatientProtocol
from scheduling import engine, selectors, services
from scheduling.exceptions import BookingConflict, SchedulingError
from scheduling.forms import (
    CancelForm,
    DayForm,
    MoveForm,
    RescheduleSearchForm,
    center_today,
)
from scheduling.models import (
    Chair,
    Closure,
    InfusionSession,
    Nurse,
    SessionStatus,
)
from scheduling.roles import FRONT_DESK, MANAGER
from scheduling.views.common import (
    GRID_MINUTES,
    SLOT_LIMIT,
    role_required,
)
from scheduling.world import center_tz
from waitlist.board import add_freed_blocks

# --- day board ---------------------------------------------------------------------------------


# A patient still not checked in this long after their planned start is marked late.
LATE_AFTER = dt.timedelta(minutes=10)


def _board_grid(board: selectors.Board, *, now: dt.datetime | None = None) -> dict:
    """Column positions of each session block and of its phases on a 15-minute grid; with
    `now` (the board shows today), where the now line falls and which patients are late."""
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
            late = (
                now is not None
                and s.status in (SessionStatus.BOOKED, SessionStatus.CONFIRMED)
                and now - s.start > LATE_AFTER
            )
            blocks.append(
                {
                    "entry": entry,
                    "session": s,
                    "col_start": first + 2,
                    "col_end": last + 2,
                    "phases": phases,
                    "late_minutes": int((now - s.start).total_seconds() // 60) if late else None,
                }
            )
        rows.append({"chair": row.chair, "row": index, "blocks": blocks})
    now_pct = None
    if now is not None and grid_start <= now <= grid_end:
        now_pct = round((now - grid_start) / (grid_end - grid_start) * 100, 2)
    return {
        "columns": columns,
        "hours": hours,
        "rows": rows,
        "now_pct": now_pct,
        "now": now if now_pct is not None else None,
        "late": sum(1 for r in rows for b in r["blocks"] if b["late_minutes"] is not None),
        "start": grid_start,
        "step": step,
    }


@role_required(FRONT_DESK, MANAGER)
def board(request):
    """Chairs as rows, time as columns; a block per session with its phases."""
    form = DayForm(request.GET or None)
    day = form.day()
    data = selectors.day_board(day=day)
    today = center_today()
    now = timezone.now().astimezone(center_tz()) if day == today else None
    closure = Closure.objects.filter(date=day).first()
    grid = _board_grid(data, now=now)
    freed = add_freed_blocks(grid, day, start=grid["start"], step=grid["step"])  # the waitlist
    return render(
        request,
        "scheduling/board.html",
        {
            "form": form,
            "day": day,
            "board": data,
            "closure": closure,
            "grid": grid,
            "freed": freed,
            "prev_day": day - dt.timedelta(days=1),
            "next_day": day + dt.timedelta(days=1),
            "today": today,
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
        "can_cancel": session.status in (SessionStatus.BOOKED, SessionStatus.CONFIRMED)
        and session.start > timezone.now(),
        "can_move": session.status in (SessionStatus.BOOKED, SessionStatus.CONFIRMED),
        "can_check_in": session.status in (SessionStatus.BOOKED, SessionStatus.CONFIRMED),
        # The same premedication text as the roster (Lemtrada's methylprednisolone).
        "premed_items": selectors.premed_items_for([session]).get(session.pk, ""),
        "cancel_also": selectors.later_open_doses(session=session, series_only=True),
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
    action_error, status = None, 400
    if form.is_valid():
        try:
            cancelled = services.cancel(
                session=session, reason=form.cleaned_data["reason"], by=request.user
            )
        except (BookingConflict, SchedulingError) as exc:
            if isinstance(exc, BookingConflict):
                action_error, status = str(exc), 409
            elif exc.field == "reason":
                form.add_error("reason", str(exc))
            else:
                action_error = str(exc)
        else:
            also = "".join(
                f" Dose {d.dose_number} on {d.start.astimezone(center_tz()):%a %-d %b} was "
                "cancelled with it."
                for d in cancelled.cancelled_with
            )
            messages.success(
                request,
                f"Cancelled {session.patient.full_name}'s session; the chair is free.{also}",
            )
            return redirect(_board_url(session))
    return render(
        request,
        "scheduling/session_detail.html",
        _panel_context(session, cancel_form=form, action_error=action_error),
        status=status,
    )


@require_POST
@role_required(FRONT_DESK, MANAGER)
def session_check_in(request, pk: int):
    session = _session(pk)
    try:
        services.check_in(session=session, by=request.user)
    except (BookingConflict, SchedulingError) as exc:
        return render(
            request,
            "scheduling/session_detail.html",
            _panel_context(session, action_error=str(exc)),
            status=409 if isinstance(exc, BookingConflict) else 400,
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
    status, conflict, conflict_code = 200, None, ""
    if request.method == "POST" and form.is_valid():
        cd = form.cleaned_data
        try:
            moved = services.reschedule(
                session=session,
                start=cd["start"],
                by=request.user,
                chair=cd["chair"],
                nurse=cd["nurse"],
                override_reason=cd["override_reason"],
                move_series=cd["move_series"],
            )
        except BookingConflict as exc:
            conflict, status = str(exc), 409
            conflict_code = exc.code
        except SchedulingError as exc:
            form.add_error(exc.field if exc.field in form.fields else None, str(exc))
            status = 400
        else:
            also = "".join(
                f" Dose {d.dose_number} moved with it to {d.start.astimezone(center_tz()):%a %-d %b %H:%M}."
                for d in moved.moved_with
            )
            messages.success(
                request,
                f"Moved {session.patient.full_name}'s session; the patient will be told.{also}",
            )
            return redirect(_board_url(moved))
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
    later = selectors.later_open_doses(session=session)
    tz = center_tz()
    old_day = session.start.astimezone(tz).date()
    for o in slots:
        shift = o["start"].astimezone(tz).date() - old_day
        o["later_moves"] = [{"dose": d, "to": d.start.astimezone(tz).date() + shift} for d in later]
    return render(
        request,
        "scheduling/reschedule.html",
        {
            "session": session,
            "form": form,
            "slots": slots,
            "conflict": conflict,
            "conflict_code": conflict_code,
            "later": later,
        },
        status=status,
    )
