"""Ranked free slots for a patient's dose (or a whole series) — the find-and-book search."""

import datetime as dt

from django.utils.decorators import method_decorator
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.response import Response

from patients.models import Patient
from scheduling import selectors, services
from scheduling.api.fields import IdField
from scheduling.api.serializers import PhaseTimesMixin
from scheduling.api.views.base import ClinicView, responses
from scheduling.models import Chair, InfusionOption, Nurse, Protocol, center_settings_scope
from scheduling.world import center_tz

MAX_RANGE_DAYS = 62


class PlacementSerializer(PhaseTimesMixin):
    dose_number = serializers.IntegerField()
    day_offset = serializers.IntegerField(help_text="Days after the first dose of the slot.")
    chair = serializers.IntegerField()
    chair_name = serializers.CharField()
    nurse = serializers.IntegerField()
    nurse_name = serializers.CharField()

    class Meta:
        ref_name = "SlotDose"


class SlotSerializer(PhaseTimesMixin):
    """The first dose's times, chair and nurse at the top; every dose under `doses`."""

    dose_number = serializers.IntegerField()
    chair = serializers.IntegerField()
    chair_name = serializers.CharField()
    nurse = serializers.IntegerField()
    nurse_name = serializers.CharField()
    score = serializers.FloatField(help_text="Lower is better.")
    score_parts = serializers.DictField(child=serializers.FloatField())
    doses = PlacementSerializer(many=True)
    labs_at_risk = serializers.ListField(
        child=serializers.CharField(),
        help_text="Gating labs that cannot be resulted in time for this option: booking it "
        "needs lab_acknowledgement.",
    )

    class Meta:
        ref_name = "Slot"


class AvailabilityApi(ClinicView):
    class FilterSerializer(serializers.Serializer):
        patient = serializers.PrimaryKeyRelatedField(queryset=Patient.objects.all())
        protocol = serializers.SlugRelatedField(
            slug_field="code",
            queryset=Protocol.objects.all(),
            help_text="Protocol code, e.g. ocrelizumab_iv.",
        )
        dose = serializers.IntegerField(
            min_value=1,
            max_value=500,
            required=False,
            help_text="Dose number; defaults to the patient's next dose.",
        )
        date_from = serializers.DateField(required=False, help_text="Defaults to today.")
        date_to = serializers.DateField(
            required=False, help_text="Defaults to date_from + 13 days."
        )
        limit = serializers.IntegerField(min_value=1, max_value=50, default=10)
        series = serializers.BooleanField(
            default=False, help_text="Search the whole series from this dose."
        )
        option = serializers.ChoiceField(
            choices=InfusionOption.choices, default=InfusionOption.STANDARD
        )
        length = serializers.IntegerField(
            min_value=1,
            max_value=10,
            required=False,
            help_text="Series length (e.g. steroid course days).",
        )
        chair = IdField(required=False)
        nurse = IdField(required=False)
        spread = serializers.ChoiceField(
            choices=["days", "day"],
            required=False,
            help_text="days: the best option of each day first, then morning/afternoon variety "
            "(for a phone call); day: more options on the searched day(s), spaced apart.",
        )

        def validate(self, attrs):
            today = dt.datetime.now(center_tz()).date()
            date_from = attrs.get("date_from") or today
            date_to = attrs.get("date_to") or date_from + dt.timedelta(days=13)
            if date_to < date_from:
                raise serializers.ValidationError({"date_to": ["date_to is before date_from."]})
            if (date_to - date_from).days + 1 > MAX_RANGE_DAYS:
                raise serializers.ValidationError(
                    {"date_to": [f"Search at most {MAX_RANGE_DAYS} days at a time."]}
                )
            attrs["date_from"], attrs["date_to"] = date_from, date_to
            return attrs

    @extend_schema(
        operation_id="availability",
        parameters=[FilterSerializer],
        responses=responses({200: SlotSerializer(many=True)}),
    )
    @method_decorator(center_settings_scope)  # validation, next dose and search share one read
    def get(self, request):
        """Free options ranked best first: start, chair, nurse and every phase time."""
        q = self.query(self.FilterSerializer)
        patient, protocol = q["patient"], q["protocol"]
        dose = q.get("dose") or services.expected_next_dose(patient, protocol)
        try:
            slots = selectors.availability(
                patient=patient,
                protocol=protocol,
                dose_number=dose,
                date_from=q["date_from"],
                date_to=q["date_to"],
                limit=q["limit"],
                option=q["option"],
                series=q["series"],
                length=q.get("length"),
                chair_id=q.get("chair"),
                nurse_id=q.get("nurse"),
                spread=q.get("spread"),
            )
        except ValueError as exc:  # the catalogue has no rule for that dose/option/length
            raise serializers.ValidationError({"dose": [str(exc)]}) from exc
        rows = self._rows(slots)
        risks = selectors.slot_labs_at_risk(
            patient_id=patient.pk, protocol_id=protocol.pk, slots=slots
        )
        for row, risk in zip(rows, risks, strict=True):
            row["labs_at_risk"] = risk
        return Response(SlotSerializer(rows, many=True).data)

    @staticmethod
    def _rows(slots) -> list[dict]:
        """Engine slots as plain rows, chair and nurse names from two queries in all."""
        chair_ids = {p.chair_id for s in slots for p in s.placements}
        nurse_ids = {p.nurse_id for s in slots for p in s.placements}
        chairs = (
            dict(Chair.objects.filter(pk__in=chair_ids).values_list("pk", "name"))
            if chair_ids
            else {}
        )
        nurses = (
            dict(Nurse.objects.filter(pk__in=nurse_ids).values_list("pk", "name"))
            if nurse_ids
            else {}
        )
        tz = center_tz()
        rows = []
        for slot in slots:
            first_day = slot.placements[0].timeline.start.astimezone(tz).date()
            doses = []
            for p in slot.placements:
                t = p.timeline
                doses.append(
                    {
                        "dose_number": p.dose_number,
                        "day_offset": (t.start.astimezone(tz).date() - first_day).days,
                        "chair": p.chair_id,
                        "chair_name": chairs.get(p.chair_id, ""),
                        "nurse": p.nurse_id,
                        "nurse_name": nurses.get(p.nurse_id, ""),
                        "start": t.start,
                        "premed_start": t.premed_start,
                        "infusion_start": t.infusion_start,
                        "infusion_end": t.infusion_end,
                        "observation_end": t.observation_end,
                        "chair_release_at": t.chair_release_at,
                    }
                )
            rows.append(
                {**doses[0], "score": slot.score, "score_parts": slot.score_parts, "doses": doses}
            )
        return rows
