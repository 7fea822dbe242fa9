"""The analytics under /api/analytics/ (manager role): the headline figures against the
previous period, and every table the page shows, as JSON."""

from __future__ import annotations

from django.http import Http404
from django.utils.text import slugify
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.response import Response

from analytics.selectors import Filters, report
from analytics.selectors.filters import MAX_SPAN_DAYS
from analytics.views import CHARTS
from scheduling.api.views.base import ClinicView, responses
from scheduling.roles import MANAGER


class FilterSerializer(serializers.Serializer):
    date_from = serializers.DateField(help_text="First center-local day.")
    date_to = serializers.DateField(help_text="Last center-local day (inclusive).")
    protocol = serializers.SlugField(required=False, max_length=60, help_text="Protocol code.")
    weekday = serializers.IntegerField(
        required=False, min_value=0, max_value=6, help_text="0 = Monday."
    )
    hour = serializers.IntegerField(
        required=False, min_value=0, max_value=23, help_text="Planned start hour."
    )
    area = serializers.CharField(required=False, max_length=60, help_text="Chair area.")
    nurse = serializers.IntegerField(required=False, min_value=1, help_text="Nurse id.")

    def validate(self, data):
        if data["date_to"] < data["date_from"]:
            raise serializers.ValidationError({"date_to": ["Before date_from."]})
        if (data["date_to"] - data["date_from"]).days >= MAX_SPAN_DAYS:
            raise serializers.ValidationError({"date_to": [f"At most {MAX_SPAN_DAYS} days."]})
        return data


class KpiSerializer(serializers.Serializer):
    id = serializers.CharField()
    label = serializers.CharField()
    value = serializers.FloatField(allow_null=True)
    previous = serializers.FloatField(allow_null=True, help_text="The previous period.")
    delta = serializers.FloatField(allow_null=True)
    unit = serializers.CharField()
    better = serializers.ChoiceField(choices=["up", "down"])


class SummarySerializer(serializers.Serializer):
    date_from = serializers.DateField()
    date_to = serializers.DateField()
    previous_from = serializers.DateField()
    previous_to = serializers.DateField()
    kpis = KpiSerializer(many=True)
    tables = serializers.ListField(child=serializers.CharField(), help_text="Table ids.")


class TableSerializer(serializers.Serializer):
    id = serializers.CharField()
    title = serializers.CharField()
    description = serializers.CharField()
    columns = serializers.ListField(child=serializers.CharField())
    keys = serializers.ListField(child=serializers.CharField(), help_text="Row keys, in order.")
    rows = serializers.ListField(
        child=serializers.DictField(), help_text="One object per row; numbers as numbers."
    )


def _value(cell: str):
    if cell == "":
        return None
    try:
        return int(cell)
    except ValueError:
        pass
    try:
        return float(cell)
    except ValueError:
        return cell


def _key(column: str) -> str:
    return slugify(column.replace("%", " pct").replace("<", "under")).replace("-", "_")


class AnalyticsView(ClinicView):
    read_roles = frozenset({MANAGER})

    def filters(self) -> Filters:
        d = self.query(FilterSerializer)
        return Filters(
            date_from=d["date_from"],
            date_to=d["date_to"],
            protocol=d.get("protocol"),
            weekday=d.get("weekday"),
            hour=d.get("hour"),
            area=d.get("area"),
            nurse=d.get("nurse"),
        )


class AnalyticsSummaryApi(AnalyticsView):
    @extend_schema(
        parameters=[FilterSerializer],
        responses=responses({200: SummarySerializer}),
        summary="Headline operations figures for a period against the previous one",
    )
    def get(self, request):
        rep = report(self.filters())
        return Response(
            {
                "date_from": rep.filters.date_from,
                "date_to": rep.filters.date_to,
                "previous_from": rep.previous.date_from,
                "previous_to": rep.previous.date_to,
                "kpis": [
                    {
                        "id": k.id,
                        "label": k.label,
                        "value": k.value,
                        "previous": k.previous,
                        "delta": k.delta,
                        "unit": k.unit,
                        "better": k.better,
                    }
                    for k in rep.kpis
                ],
                "tables": list(rep.tables),
            }
        )


class AnalyticsTableApi(AnalyticsView):
    @extend_schema(
        parameters=[
            FilterSerializer,
            OpenApiParameter(
                "table", str, OpenApiParameter.PATH, enum=sorted(CHARTS), description="Table id."
            ),
        ],
        responses=responses({200: TableSerializer}, not_found=True),
        summary="One analytics table (the rows behind a chart and its CSV export)",
    )
    def get(self, request, table: str):
        if table not in CHARTS:
            raise Http404("No such table.")
        rep = report(self.filters())
        t = rep.tables[table]
        keys = [_key(c) for c in t.columns]
        return Response(
            {
                "id": t.id,
                "title": t.title,
                "description": CHARTS[table][3],
                "columns": t.columns,
                "keys": keys,
                "rows": [dict(zip(keys, map(_value, row), strict=True)) for row in t.rows],
            }
        )
