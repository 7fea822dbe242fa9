"""The nurse manager's analytics page and its CSV exports (thin: the figures come from
analytics.selectors.report; the charts are drawn from the same rows as the tables)."""

from __future__ import annotations

import csv

from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.http import urlencode

from analytics.charts import grouped_bars
from analytics.forms import AnalyticsFilterForm
from analytics.selectors import report
from scheduling.roles import MANAGER
from scheduling.views.common import role_required

# table id -> how its chart reads: [(series name, index in Table.series, css)], capacity
# index or None, unit, what the chart shows (printed under its title).
CHARTS = {
    "punctuality-by-weekday": (
        [("On time", 1, "used")],
        2,
        "%",
        "Share of infusions started within 15 minutes of the planned time, by weekday.",
    ),
    "punctuality-by-hour": (
        [("On time", 1, "used")],
        2,
        "%",
        "Share of infusions started on time, by the hour they were planned to start.",
    ),
    "punctuality-by-protocol": (
        [("Drug wait", 3, "used"), ("Arrival to chair", 4, "used alt")],
        None,
        " min",
        "Mean minutes from arrival to the chair and from the chair to the infusion start.",
    ),
    "attendance-by-protocol": (
        [("No-shows", 1, "used"), ("Cancelled < 48 h", 3, "used alt")],
        None,
        "%",
        "Share of appointments missed without notice or cancelled less than 48 hours ahead.",
    ),
    "attendance-by-weekday": (
        [("No-shows", 1, "used"), ("Cancelled < 48 h", 3, "used alt")],
        None,
        "%",
        "No-shows and late cancellations by weekday.",
    ),
    "attendance-by-hour": (
        [("No-shows", 1, "used"), ("Cancelled < 48 h", 3, "used alt")],
        None,
        "%",
        "No-shows and late cancellations by planned start hour.",
    ),
    "attendance-by-lead": (
        [("No-shows", 1, "used"), ("Cancelled < 48 h", 3, "used alt")],
        None,
        "%",
        "No-shows and late cancellations by how long before the day the dose was booked.",
    ),
    "chairs-by-hour": (
        [("Booked", 1, "used"), ("Used", 3, "used alt")],
        2,
        " chair-h",
        "Chair-hours booked and actually used (seated to discharge plus turnover) against "
        "open chair-hours (dashed), by hour of day.",
    ),
    "chairs-by-day": (
        [("Booked", 1, "used"), ("Used", 3, "used alt")],
        2,
        " chair-h",
        "The same by day: the flatter, the better the chairs are spread over the week.",
    ),
    "nurse-load": (
        [("Patient-hours", 1, "used")],
        None,
        " h",
        "Patient-hours per nurse (planned start to observation end).",
    ),
    "starts-per-slot": (
        [("Slots", 1, "used")],
        None,
        "",
        "How often a nurse started 1, 2 or more infusions in one stagger slot (more than one "
        "means the stagger was not kept).",
    ),
    "unmet-demand": (
        [("No option in window", 1, "used"), ("Overdue today", 3, "used alt")],
        None,
        "",
        "Searches that found no option inside the dose window, and patients overdue now.",
    ),
}


def _chart(table):
    series_spec, cap_index, unit, desc = CHARTS[table.id]
    labels = [row[0] for row in table.series]
    series = [
        (name, [row[i] if i < len(row) else None for row in table.series], css)
        for name, i, css in series_spec
    ]
    capacity = [row[cap_index] for row in table.series] if cap_index is not None else None
    return {"geometry": grouped_bars(labels, series, capacity=capacity, unit=unit), "desc": desc}


@role_required(MANAGER)
def analytics_page(request):
    """What the days really were: every chart with its table, this period against the last."""
    form = AnalyticsFilterForm(request.GET or None)
    filters = form.filters()
    if not form.is_bound:  # the fields show the period the page shows
        form = AnalyticsFilterForm(
            initial={"date_from": filters.date_from, "date_to": filters.date_to}
        )
    rep = report(filters)
    query = urlencode(filters.as_query())
    sections = [
        {
            "table": table,
            "chart": _chart(table),
            "csv": f"{reverse('analytics_csv', args=[table.id])}?{query}",
        }
        for table in rep.tables.values()
    ]
    return render(
        request,
        "analytics/page.html",
        {"form": form, "r": rep, "sections": sections, "query": query},
    )


@role_required(MANAGER)
def analytics_csv(request, table_id: str):
    """One table as CSV: the same header and cells the page shows."""
    form = AnalyticsFilterForm(request.GET or None)
    filters = form.filters()
    rep = report(filters)
    table = rep.tables.get(table_id)
    if table is None:
        raise Http404("No such table.")
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    name = f"{table_id}_{filters.date_from}_{filters.date_to}.csv"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    writer = csv.writer(response)
    writer.writerow(table.columns)
    writer.writerows(table.rows)
    return response
