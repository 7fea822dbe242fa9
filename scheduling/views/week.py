"""The week board: chairs x days occupancy, each day's booked curve beside the template's."""

from __future__ import annotations

import datetime as dt

from django.shortcuts import render

from scheduling import selectors
from scheduling.forms import DayForm
from scheduling.planning.charts import curve_chart
from scheduling.roles import FRONT_DESK, MANAGER
from scheduling.views.common import role_required


@role_required(FRONT_DESK, MANAGER)
def week_board(request):
    """?date= any day of the week to show (this week by default)."""
    day = DayForm(request.GET or None).day()
    start = selectors.week_start_of(day)
    board = selectors.week_board(week_start=start)
    n = max(1, len(board.chairs))
    days = []
    for d in board.days:
        chart = None
        if d.open:
            series = [("Booked", "booked", d.booked_curve)]
            if d.template_curve:
                series.append(("Template", "template", d.template_curve))
            chart = curve_chart(series, y_max=n, width=220, height=80)
        days.append({"d": d, "chart": chart})
    rows = [
        {"chair": c, "cells": [(d.day, d.open, board.cells.get((c.pk, d.day))) for d in board.days]}
        for c in board.chairs
    ]
    return render(
        request,
        "scheduling/week.html",
        {
            "board": board,
            "days": days,
            "rows": rows,
            "prev_week": start - dt.timedelta(days=7),
            "next_week": start + dt.timedelta(days=7),
        },
    )
