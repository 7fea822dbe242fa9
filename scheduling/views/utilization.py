"""The manager utilization page."""

from __future__ import annotations

from django.shortcuts import render

from scheduling.forms import (
    UtilizationForm,
)
from scheduling.roles import MANAGER
from scheduling.utilization import bar_chart, utilization
from scheduling.views.common import (
    role_required,
)

# --- utilization ---------------------------------------------------------------------------------------


@role_required(MANAGER)
def utilization_view(request):
    """Chair-hours booked vs open by hour and by day, peak concurrency, nurse load, as SVG."""
    form = UtilizationForm(request.GET or None)
    date_from, date_to = form.span()
    if not form.is_bound:
        # The fields show the range the page shows (an unbound form would be blank).
        form = UtilizationForm(initial={"date_from": date_from, "date_to": date_to})
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
