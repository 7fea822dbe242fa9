"""The day's work: a nurse's roster and the due worklist."""

import datetime as dt

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.response import Response

from scheduling import selectors
from scheduling.api.fields import IdField
from scheduling.api.pagination import Pages
from scheduling.api.serializers import ChecklistSerializer, SessionOutputSerializer
from scheduling.api.views.base import ClinicView, paged, responses
from scheduling.world import center_tz


class RosterEntrySerializer(SessionOutputSerializer):
    premed_items = serializers.CharField()
    lab = ChecklistSerializer(help_text="Lab readiness on the session day.")
    rems = serializers.ChoiceField(
        choices=["checked", "authorized", "not_authorized"],
        allow_null=True,
        help_text="Null when the drug has no REMS program.",
    )

    class Meta:
        ref_name = "RosterEntry"

    def to_representation(self, s):
        row = super().to_representation(s)
        row["premed_items"] = s.premed_items
        row["lab"] = {
            "status": s.lab.status,
            "items": [
                {
                    "test_code": i.test_code,
                    "test_name": i.test_name,
                    "gate": i.gate,
                    "status": i.status,
                    "message": i.message,
                    "last_collected": _day(i.last_collected),
                    "valid_until": _day(i.valid_until),
                    "needed_by": _day(i.needed_by),
                }
                for i in s.lab.items
            ],
        }
        row["rems"] = s.rems
        return row


def _day(value):
    return value.isoformat() if value else None


class RosterApi(ClinicView):
    class FilterSerializer(serializers.Serializer):
        date = serializers.DateField(
            required=False, help_text="Center-local day; defaults to today."
        )
        nurse = IdField(required=False, help_text="Nurse id; all nurses if absent.")

    class OutputSerializer(serializers.Serializer):
        date = serializers.DateField()
        nurse = serializers.IntegerField(allow_null=True)
        count = serializers.IntegerField()
        results = RosterEntrySerializer(many=True)

        class Meta:
            ref_name = "Roster"

    @extend_schema(
        operation_id="roster",
        parameters=[FilterSerializer],
        responses=responses({200: OutputSerializer}),
    )
    def get(self, request):
        """A nurse's (or the floor's) day in start order: phases, premedication, labs, REMS."""
        q = self.query(self.FilterSerializer)
        day = q.get("date") or dt.datetime.now(center_tz()).date()
        entries = selectors.roster(day=day, nurse=q.get("nurse"))
        sessions = []
        for e in entries:
            # The roster entry's extras ride on the session so one serializer renders the row.
            e.session.premed_items, e.session.lab, e.session.rems = e.premed_items, e.lab, e.rems
            sessions.append(e.session)
        data = {"date": day, "nurse": q.get("nurse"), "count": len(sessions), "results": sessions}
        return Response(self.OutputSerializer(data).data)


class DueApi(ClinicView):
    class FilterSerializer(serializers.Serializer):
        today = serializers.DateField(required=False, help_text="Defaults to today (center-local).")
        horizon_days = serializers.IntegerField(min_value=0, max_value=365, default=28)

    class OutputSerializer(serializers.Serializer):
        patient = serializers.IntegerField(source="patient.pk")
        patient_name = serializers.CharField(source="patient.full_name")
        mrn = serializers.CharField(source="patient.mrn")
        protocol = serializers.CharField(source="protocol.code")
        protocol_name = serializers.CharField(source="protocol.brand_name")
        dose_number = serializers.IntegerField()
        due_date = serializers.DateField()
        window_start = serializers.DateField()
        window_end = serializers.DateField()
        earliest_date = serializers.DateField(allow_null=True)
        overdue_days = serializers.IntegerField()

        class Meta:
            ref_name = "DueItem"

    @extend_schema(
        operation_id="due_list",
        parameters=[FilterSerializer],
        responses=responses({200: paged(OutputSerializer, "DueItem")}),
    )
    def get(self, request):
        """Patients due (or overdue) for their next dose and not yet booked, overdue first."""
        q = self.query(self.FilterSerializer)
        items = selectors.due_worklist_refs(today=q.get("today"), horizon_days=q["horizon_days"])
        paginator = Pages()
        page = paginator.paginate_queryset(items, request, view=self)
        # Hand-built rows in OutputSerializer's shape (the declared fields are the schema).
        return paginator.get_paginated_response(
            [
                {
                    "patient": i.patient.pk,
                    "patient_name": i.patient.full_name,
                    "mrn": i.patient.mrn,
                    "protocol": i.protocol.code,
                    "protocol_name": i.protocol.brand_name,
                    "dose_number": i.dose_number,
                    "due_date": _day(i.due_date),
                    "window_start": _day(i.window_start),
                    "window_end": _day(i.window_end),
                    "earliest_date": _day(i.earliest_date),
                    "overdue_days": i.overdue_days,
                }
                for i in page
            ]
        )
