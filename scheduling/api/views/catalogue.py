"""The protocol catalogue, chairs and nurses (read only; managers edit them in admin)."""

from django.db import connection
from django.db.models import Prefetch
from drf_spectacular.utils import extend_schema
from rest_framework import serializers

from scheduling import selectors
from scheduling.api.pagination import Pages
from scheduling.api.views.base import ClinicView, paged, responses
from scheduling.models import Chair, DoseRule, LabRequirement, LabTest, Nurse, NurseShift, Protocol


class DoseRuleSerializer(serializers.Serializer):
    from_dose = serializers.IntegerField()
    to_dose = serializers.IntegerField(
        allow_null=True, help_text="Blank: this and every later dose."
    )
    option = serializers.CharField()
    label = serializers.CharField()
    dose_amount = serializers.FloatField(allow_null=True)
    premed_lead_minutes = serializers.IntegerField()
    premed_items = serializers.CharField()
    infusion_minutes = serializers.IntegerField()
    observation_minutes = serializers.IntegerField()
    chair_minutes = serializers.IntegerField()
    interval_days = serializers.IntegerField(allow_null=True)
    interval_anchor = serializers.CharField()
    min_interval_days = serializers.IntegerField(allow_null=True)
    window_early_days = serializers.IntegerField()
    window_late_days = serializers.IntegerField()
    joins_series = serializers.BooleanField()
    optional = serializers.BooleanField()
    confidence = serializers.CharField()

    class Meta:
        ref_name = "DoseRule"


class LabRequirementSerializer(serializers.Serializer):
    test = serializers.CharField(source="lab_test.code")
    test_name = serializers.CharField(source="lab_test.name")
    gate = serializers.CharField()
    max_age_days = serializers.IntegerField(allow_null=True)

    class Meta:
        ref_name = "LabRequirement"


class ShiftSerializer(serializers.Serializer):
    weekday = serializers.IntegerField(help_text="0 = Monday")
    start = serializers.TimeField()
    end = serializers.TimeField()

    class Meta:
        ref_name = "NurseShift"


class ProtocolListApi(ClinicView):
    class OutputSerializer(serializers.Serializer):
        id = serializers.IntegerField()
        code = serializers.CharField()
        brand_name = serializers.CharField()
        generic_name = serializers.CharField()
        route = serializers.CharField()
        rems_program = serializers.CharField()
        rems_checks = serializers.CharField()
        required_skill = serializers.CharField()
        required_chair_kind = serializers.CharField()
        dose_unit = serializers.CharField()
        lifetime_cap = serializers.FloatField(allow_null=True)
        billing_code = serializers.CharField()
        billing_descriptor = serializers.CharField()
        premed_causes_drowsiness = serializers.BooleanField()
        series_label = serializers.CharField()
        dose_rules = DoseRuleSerializer(many=True)
        lab_requirements = LabRequirementSerializer(many=True)

        class Meta:
            ref_name = "Protocol"

    @extend_schema(
        operation_id="protocols_list",
        responses=responses({200: paged(OutputSerializer, "Protocol")}, bad=False),
    )
    def get(self, request):
        """The active protocol catalogue with dose rules and lab requirements."""
        rows = _catalogue_rows(self.OutputSerializer)
        paginator = Pages()
        page = paginator.paginate_queryset(rows, request, view=self)
        return paginator.get_paginated_response(page)


# The serialized catalogue of this process, with the version it was built from.
_CATALOGUE: dict = {}


def _catalogue_version():
    """A digest of every catalogue row the protocol list shows (protocols, dose rules, lab
    requirements, lab test names): one cheap query, so an admin edit shows on the next request.
    None off PostgreSQL (no caching there)."""
    if connection.vendor != "postgresql":
        return None
    parts = " || ".join(
        f"(SELECT coalesce(md5(string_agg(t::text, '|' ORDER BY t.id)), '') FROM {m._meta.db_table} t)"
        for m in (Protocol, DoseRule, LabRequirement, LabTest)
    )
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {parts}")
        return cursor.fetchone()[0]


def _catalogue_rows(serializer_class) -> list:
    """The active protocols rendered by serializer_class, reused while the catalogue is unchanged:
    DRF's nested serializers cost several ms per request for data that changes a few times a year."""
    version = _catalogue_version()
    if version is not None and _CATALOGUE.get("version") == version:
        return _CATALOGUE["rows"]
    rows = list(serializer_class(selectors.protocol_list(), many=True).data)
    if version is not None:
        _CATALOGUE.update(version=version, rows=rows)
    return rows


class ChairListApi(ClinicView):
    class OutputSerializer(serializers.Serializer):
        id = serializers.IntegerField()
        name = serializers.CharField()
        area = serializers.CharField()
        kind = serializers.CharField()
        features = serializers.ListField(child=serializers.CharField())
        active = serializers.BooleanField()

        class Meta:
            ref_name = "Chair"

    @extend_schema(
        operation_id="chairs_list",
        responses=responses({200: paged(OutputSerializer, "Chair")}, bad=False),
    )
    def get(self, request):
        """Chairs and beds in display order (inactive ones included, flagged)."""
        return self.paginate(Chair.objects.all(), self.OutputSerializer)


class NurseListApi(ClinicView):
    class OutputSerializer(serializers.Serializer):
        id = serializers.IntegerField()
        name = serializers.CharField()
        skills = serializers.ListField(child=serializers.CharField())
        max_concurrent_patients = serializers.IntegerField()
        is_charge_nurse = serializers.BooleanField()
        active = serializers.BooleanField()
        shifts = ShiftSerializer(many=True)

        class Meta:
            ref_name = "Nurse"

    @extend_schema(
        operation_id="nurses_list",
        responses=responses({200: paged(OutputSerializer, "Nurse")}, bad=False),
    )
    def get(self, request):
        """Nurses with skills, concurrency limit and weekly shifts."""
        nurses = Nurse.objects.prefetch_related(
            Prefetch("shifts", queryset=NurseShift.objects.order_by("weekday", "start"))
        )
        return self.paginate(nurses, self.OutputSerializer)
