"""Output shapes shared by several endpoints (DESIGN §8: field names are the contract).

Datetimes are rendered in the center's zone with their offset (DRF's iso-8601 format)."""

from django.utils import timezone
from rest_framework import serializers


def iso(value):
    """What DRF's iso-8601 DateTimeField renders (current zone, offset, `Z` for UTC), faster."""
    if value is None:
        return None
    text = timezone.localtime(value).isoformat()
    return text[:-6] + "Z" if text.endswith("+00:00") else text


def iso_in(tz):
    """`iso` with the zone looked up once, for long lists."""

    def render(value):
        if value is None:
            return None
        text = value.astimezone(tz).isoformat()
        return text[:-6] + "Z" if text.endswith("+00:00") else text

    return render


# The columns session_rows reads, joined rows included (no model instances are built).
ROW_COLUMNS = (
    "id",
    "patient_id",
    "patient__first_name",
    "patient__last_name",
    "patient__mrn",
    "protocol__code",
    "protocol__brand_name",
    "dose_number",
    "option",
    "status",
    "series_id",
    "chair_id",
    "chair__name",
    "nurse_id",
    "nurse__name",
    "override_reason",
    "cancel_reason",
    "start",
    "premed_start",
    "infusion_start",
    "infusion_end",
    "observation_end",
    "chair_release_at",
    "confirmed_at",
    "checked_in_at",
    "started_at",
    "completed_at",
    "rems_checked_at",
)
_TIME_NAMES = ROW_COLUMNS[17:]


def session_values(queryset):
    """The session queryset as the tuples session_rows renders."""
    return queryset.values_list(*ROW_COLUMNS)


def session_rows(tuples) -> list[dict]:
    """SessionOutputSerializer's rows from session_values tuples: on a page of fifty sessions
    building five model instances per row cost more than the query (DESIGN §9 load target)."""
    render = iso_in(timezone.get_current_timezone())
    rows = []
    for (
        pk,
        patient_id,
        first,
        last,
        mrn,
        code,
        brand,
        dose,
        option,
        status,
        series_id,
        chair_id,
        chair,
        nurse_id,
        nurse,
        override_reason,
        cancel_reason,
        *times,
    ) in tuples:
        row = {
            "id": pk,
            "patient": patient_id,
            "patient_name": f"{first} {last}",
            "mrn": mrn,
            "protocol": code,
            "protocol_name": brand,
            "dose_number": dose,
            "option": option,
            "status": status,
            "series": series_id,
            "chair": chair_id,
            "chair_name": chair,
            "nurse": nurse_id,
            "nurse_name": nurse if nurse_id else None,
            "override_reason": override_reason,
            "cancel_reason": cancel_reason,
        }
        for name, value in zip(_TIME_NAMES, times, strict=True):
            row[name] = render(value)
        rows.append(row)
    return rows


class PhaseTimesMixin(serializers.Serializer):
    start = serializers.DateTimeField()
    premed_start = serializers.DateTimeField()
    infusion_start = serializers.DateTimeField()
    infusion_end = serializers.DateTimeField()
    observation_end = serializers.DateTimeField()
    chair_release_at = serializers.DateTimeField()


class SessionOutputSerializer(PhaseTimesMixin):
    """One infusion session. Expects patient, protocol, chair and nurse select_related."""

    class Meta:
        ref_name = "Session"

    id = serializers.IntegerField()
    patient = serializers.IntegerField(source="patient_id")
    patient_name = serializers.CharField(source="patient.full_name")
    mrn = serializers.CharField(source="patient.mrn")
    protocol = serializers.CharField(source="protocol.code")
    protocol_name = serializers.CharField(source="protocol.brand_name")
    dose_number = serializers.IntegerField()
    option = serializers.CharField()
    status = serializers.CharField()
    series = serializers.IntegerField(source="series_id", allow_null=True)
    chair = serializers.IntegerField(source="chair_id")
    chair_name = serializers.CharField(source="chair.name")
    nurse = serializers.IntegerField(source="nurse_id", allow_null=True)
    nurse_name = serializers.CharField(source="nurse.name", allow_null=True)
    override_reason = serializers.CharField()
    cancel_reason = serializers.CharField()
    confirmed_at = serializers.DateTimeField(allow_null=True)
    checked_in_at = serializers.DateTimeField(allow_null=True)
    started_at = serializers.DateTimeField(allow_null=True)
    completed_at = serializers.DateTimeField(allow_null=True)
    rems_checked_at = serializers.DateTimeField(allow_null=True)

    _TIMES = (
        "start",
        "premed_start",
        "infusion_start",
        "infusion_end",
        "observation_end",
        "chair_release_at",
        "confirmed_at",
        "checked_in_at",
        "started_at",
        "completed_at",
        "rems_checked_at",
    )

    def to_representation(self, s):
        # Hand-built row: the declared fields above are the schema; building the dict directly
        # is several times faster than DRF's per-field walk on long lists (DESIGN §9 load target).
        row = {
            "id": s.pk,
            "patient": s.patient_id,
            "patient_name": f"{s.patient.first_name} {s.patient.last_name}",
            "mrn": s.patient.mrn,
            "protocol": s.protocol.code,
            "protocol_name": s.protocol.brand_name,
            "dose_number": s.dose_number,
            "option": s.option,
            "status": s.status,
            "series": s.series_id,
            "chair": s.chair_id,
            "chair_name": s.chair.name,
            "nurse": s.nurse_id,
            "nurse_name": s.nurse.name if s.nurse_id else None,
            "override_reason": s.override_reason,
            "cancel_reason": s.cancel_reason,
        }
        for name in self._TIMES:
            row[name] = iso(getattr(s, name))
        return row


class ChecklistItemSerializer(serializers.Serializer):
    class Meta:
        ref_name = "ChecklistItem"

    test_code = serializers.CharField()
    test_name = serializers.CharField()
    gate = serializers.CharField()
    status = serializers.ChoiceField(choices=["green", "amber", "red"])
    message = serializers.CharField()
    last_collected = serializers.DateField(allow_null=True)
    valid_until = serializers.DateField(allow_null=True)
    needed_by = serializers.DateField(allow_null=True)


class ChecklistSerializer(serializers.Serializer):
    """patients.readiness.Checklist: the worst item's colour and every item."""

    class Meta:
        ref_name = "LabReadiness"

    status = serializers.ChoiceField(choices=["green", "amber", "red"])
    items = ChecklistItemSerializer(many=True)


class ConflictSerializer(serializers.Serializer):
    """409 body: what clashed, named (resource like `chair:3` or `patient:7`)."""

    class Meta:
        ref_name = "Conflict"

    code = serializers.CharField(default="conflict")
    detail = serializers.CharField()
    conflicts = serializers.ListField(child=serializers.DictField())


class FieldErrorsSerializer(serializers.Serializer):
    """400 body: `{field: [messages]}`; errors not tied to one field are under non_field_errors."""

    class Meta:
        ref_name = "FieldErrors"

    non_field_errors = serializers.ListField(child=serializers.CharField(), required=False)


class DetailSerializer(serializers.Serializer):
    class Meta:
        ref_name = "Detail"

    detail = serializers.CharField()
