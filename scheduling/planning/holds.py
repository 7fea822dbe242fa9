"""Planner proposals sent to patients hold their chair time until the release horizon.

Why: the due pipeline is known weeks ahead, and a plan made for all of it books everyone only
if the patients it was made for get the times it chose. Booked one by one, early callers take
what later long infusions needed (bench/bench_request_by_request.py, strategy plan+hold).
So while a sent proposal waits for its patient's answer, the slot search does not offer its
chair, nurse and start to anyone else, until `template_release_hours` before its day opens;
for its own patient the held start ranks like a template start. Only SENT proposals hold
(one the coordinator merely reviewed holds nothing), and a proposal stops holding once its
patient has an active session that day (booked by link, by the desk, or elsewhere).
"""

from __future__ import annotations

import datetime as dt

from scheduling import engine
from scheduling.models import ACTIVE_STATUSES, InfusionSession, PlanProposal, ProposalStatus


def held_chair_time(
    *, world, patient_id: int | None, now: dt.datetime
) -> tuple[list[engine.BusySession], list[engine.Hold]]:
    """(other patients' holds as busy sessions, the patient's own holds) over the world's days.

    A hold whose day opens within `template_release_hours` of `now` is released: it keeps
    nothing from others any more (its patient may still take it)."""
    windows = world.center.open_windows
    if not windows:
        return [], []
    lo, hi = windows[0].start, windows[-1].end
    rows = list(
        PlanProposal.objects.filter(
            status=ProposalStatus.SENT,
            start__lt=hi,
            observation_end__gt=lo,
            chair__isnull=False,
            nurse__isnull=False,
        ).values_list("pk", "patient_id", "chair_id", "nurse_id", "start", "observation_end")
    )
    if not rows:
        return [], []
    tz = world.tz
    booked_days = {
        (p, s.astimezone(tz).date())
        for p, s in InfusionSession.objects.filter(
            status__in=ACTIVE_STATUSES,
            patient_id__in={r[1] for r in rows},
            start__lt=hi,
            chair_release_at__gt=lo,
        ).values_list("patient_id", "start")
    }
    opens = {}
    for w in windows:
        opens.setdefault(w.start.astimezone(tz).date(), w.start)
    release = dt.timedelta(hours=world.center_row.template_release_hours)
    turnover = dt.timedelta(minutes=world.center_row.turnover_minutes)
    others, own = [], []
    for pk, pid, chair, nurse, start, obs_end in rows:
        day = start.astimezone(tz).date()
        if (pid, day) in booked_days:
            continue
        if pid == patient_id:
            minutes = int((obs_end - start).total_seconds() // 60)
            own.append(engine.Hold(pid, start.astimezone(tz), minutes))
        elif day in opens and now < opens[day] - release:
            others.append(
                engine.BusySession(-pk, pid, chair, nurse, start, obs_end, obs_end + turnover)
            )
    return others, own
