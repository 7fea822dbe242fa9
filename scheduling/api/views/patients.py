"""Patients: list/search, create (front desk), detail, and a session's lab checklist."""

from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError, transaction
from django.db.models import Prefetch
from django.shortcuts import get_object_or_404
from django.utils import timezone
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.response import Response

from patients.models import Patient, PatientProtocol, PreferredChannel, normalize_mobile
from scheduling import selectors
from scheduling.api.fields import IdField
from scheduling.api.permissions import BOOKERS
from scheduling.api.serializers import ChecklistItemSerializer
from scheduling.api.views.base import ClinicView, paged, responses
from scheduling.models import ACTIVE_STATUSES, InfusionSession


def _patients():
    return Patient.objects.prefetch_related(
        Prefetch(
            "treatments",
            queryset=PatientProtocol.objects.filter(active=True).select_related("protocol"),
        )
    )


class PatientOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    mrn = serializers.CharField()
    first_name = serializers.CharField()
    last_name = serializers.CharField()
    date_of_birth = serializers.DateField()
    email = serializers.EmailField()
    mobile = serializers.CharField(help_text="E.164")
    preferred_channel = serializers.CharField()
    email_consent = serializers.BooleanField()
    sms_consent = serializers.BooleanField()
    sms_opted_out = serializers.SerializerMethodField()
    email_opted_out = serializers.BooleanField()
    time_zone = serializers.CharField()
    language = serializers.CharField()
    preferred_hour = serializers.IntegerField(allow_null=True)
    preferred_minute = serializers.IntegerField(
        allow_null=True, help_text="Preferred local start, minutes after midnight."
    )
    short_notice_ok = serializers.BooleanField()
    protocols = serializers.SerializerMethodField(
        help_text="Codes of the protocols the patient is on."
    )

    class Meta:
        ref_name = "Patient"

    def get_sms_opted_out(self, obj) -> bool:
        return obj.sms_opted_out_at is not None

    def get_protocols(self, obj) -> list[str]:
        return [t.protocol.code for t in obj.treatments.all()]


class PatientListApi(ClinicView):
    write_roles = BOOKERS

    class FilterSerializer(serializers.Serializer):
        q = serializers.CharField(required=False, help_text="MRN (exact) or name words.")

    class InputSerializer(serializers.Serializer):
        mrn = serializers.CharField(max_length=32)
        first_name = serializers.CharField(max_length=80)
        last_name = serializers.CharField(max_length=80)
        date_of_birth = serializers.DateField()
        email = serializers.EmailField(required=False, allow_blank=True, default="", max_length=254)
        mobile = serializers.CharField(
            required=False,
            allow_blank=True,
            default="",
            max_length=32,
            help_text="Any common form; stored as E.164.",
        )
        preferred_channel = serializers.ChoiceField(
            choices=PreferredChannel.choices, default="both"
        )
        email_consent = serializers.BooleanField(default=True)
        sms_consent = serializers.BooleanField(default=True)
        time_zone = serializers.CharField(max_length=64, required=False)
        language = serializers.CharField(max_length=8, default="en")
        preferred_hour = serializers.IntegerField(
            min_value=0, max_value=23, required=False, allow_null=True
        )
        preferred_minute = serializers.IntegerField(
            min_value=0,
            max_value=24 * 60 - 1,
            required=False,
            allow_null=True,
            help_text="Preferred local start in minutes after midnight (wins over preferred_hour).",
        )
        short_notice_ok = serializers.BooleanField(default=False)
        notes = serializers.CharField(required=False, allow_blank=True, default="", max_length=2000)

        class Meta:
            ref_name = "PatientIn"

        def validate_mrn(self, value):
            value = value.strip()
            if Patient.objects.filter(mrn=value).exists():
                raise serializers.ValidationError("A patient with this MRN already exists.")
            return value

        def validate_mobile(self, value):
            try:
                return normalize_mobile(value)
            except DjangoValidationError as exc:
                raise serializers.ValidationError(exc.messages) from exc

        def validate_date_of_birth(self, value):
            if value > timezone.localdate():
                raise serializers.ValidationError("The date of birth is in the future.")
            return value

        def validate_time_zone(self, value):
            try:
                ZoneInfo(value)
            except (ZoneInfoNotFoundError, ValueError) as exc:
                raise serializers.ValidationError(f"Unknown time zone {value!r}.") from exc
            return value

    @extend_schema(
        operation_id="patients_list",
        parameters=[FilterSerializer],
        responses=responses({200: paged(PatientOutputSerializer, "Patient")}),
    )
    def get(self, request):
        """Patients by name; `?q=` searches MRN and names."""
        q = self.query(self.FilterSerializer).get("q")
        patients = _patients()
        if q:
            patients = patients.filter(
                pk__in=selectors.patient_search(query=q, limit=200).values("pk")
            )
        return self.paginate(
            patients.order_by("last_name", "first_name", "pk"), PatientOutputSerializer
        )

    @extend_schema(
        operation_id="patients_create",
        request=InputSerializer,
        responses=responses({201: PatientOutputSerializer}),
    )
    def post(self, request):
        """Register a patient. A duplicate MRN is a 400 on `mrn`."""
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        if data.get("preferred_minute") is None:
            data.pop("preferred_minute", None)  # the property below sets it from the hour
        else:
            data.pop("preferred_hour", None)
        patient = Patient(**data)
        try:
            patient.full_clean()
            with transaction.atomic():
                patient.save(force_insert=True)
        except IntegrityError as exc:  # two desks registering the same MRN at once
            raise serializers.ValidationError(
                {"mrn": ["A patient with this MRN already exists."]}
            ) from exc
        patient = _patients().get(pk=patient.pk)
        return Response(PatientOutputSerializer(patient).data, status=status.HTTP_201_CREATED)


class PatientDetailApi(ClinicView):
    @extend_schema(
        operation_id="patients_retrieve",
        responses=responses({200: PatientOutputSerializer}, bad=False, not_found=True),
    )
    def get(self, request, patient_id: int):
        """One patient with contact preferences and protocols."""
        return Response(PatientOutputSerializer(get_object_or_404(_patients(), pk=patient_id)).data)


class PatientChecklistApi(ClinicView):
    class FilterSerializer(serializers.Serializer):
        session = IdField(
            required=False,
            help_text="Session id; defaults to the patient's next booked session.",
        )

    class OutputSerializer(serializers.Serializer):
        patient = serializers.IntegerField()
        session = serializers.IntegerField()
        protocol = serializers.CharField()
        dose_number = serializers.IntegerField()
        start = serializers.DateTimeField()
        status = serializers.ChoiceField(choices=["green", "amber", "red"])
        items = ChecklistItemSerializer(many=True)
        missing = serializers.ListField(
            child=serializers.CharField(), help_text="Test codes not green."
        )

        class Meta:
            ref_name = "PatientChecklist"

    @extend_schema(
        operation_id="patients_checklist",
        parameters=[FilterSerializer],
        responses=responses({200: OutputSerializer}, not_found=True),
    )
    def get(self, request, patient_id: int):
        """Which labs the session needs, and which are in, pending, missing or expiring."""
        patient = get_object_or_404(Patient, pk=patient_id)
        session_id = self.query(self.FilterSerializer).get("session")
        sessions = InfusionSession.objects.select_related("protocol").filter(patient=patient)
        if session_id is not None:
            session = sessions.filter(pk=session_id).first()
            if session is None:
                raise serializers.ValidationError(
                    {"session": ["This patient has no such session."]}
                )
        else:
            session = (
                sessions.filter(status__in=ACTIVE_STATUSES, start__gte=timezone.now())
                .order_by("start")
                .first()
            )
            if session is None:
                raise serializers.ValidationError(
                    {"session": ["The patient has no upcoming session; give ?session=<id>."]}
                )
        checklist = selectors.lab_checklist(session=session)
        data = {
            "patient": patient.pk,
            "session": session.pk,
            "protocol": session.protocol.code,
            "dose_number": session.dose_number,
            "start": session.start,
            "status": checklist.status,
            "items": checklist.items,
            "missing": [i.test_code for i in checklist.missing],
        }
        return Response(self.OutputSerializer(data).data)


class WindowSerializer(serializers.Serializer):
    """One availability window, the engine's JSON form (scheduling/engine/availability.py)."""

    weekdays = serializers.ListField(
        child=serializers.IntegerField(min_value=0, max_value=6),
        min_length=1,
        max_length=7,
        help_text="0 = Monday .. 6 = Sunday.",
    )
    start = serializers.RegexField(
        r"^([01][0-9]|2[0-4]):[0-5][0-9]$",
        required=False,
        allow_null=True,
        help_text="HH:MM local; absent = from midnight.",
    )
    end = serializers.RegexField(
        r"^([01][0-9]|2[0-4]):[0-5][0-9]$",
        required=False,
        allow_null=True,
        help_text="HH:MM local; absent = to midnight.",
    )
    kind = serializers.ChoiceField(choices=["available", "unavailable"], default="available")
    strength = serializers.ChoiceField(choices=["must", "wish"], default="must")

    class Meta:
        ref_name = "AvailabilityWindow"


class PatientAvailabilityApi(ClinicView):
    """When a patient can come: used by every slot search, the planner and fit-me-in."""

    write_roles = BOOKERS

    class AvailabilitySerializer(serializers.Serializer):
        windows = WindowSerializer(many=True, max_length=12)
        preferred_minute = serializers.IntegerField(
            min_value=0, max_value=24 * 60 - 1, allow_null=True, required=False, default=None
        )
        short_notice_ok = serializers.BooleanField(default=False)

        class Meta:
            ref_name = "PatientAvailability"

    def _out(self, patient):
        from patients import availability

        return {
            "windows": availability.windows_json(patient),
            "preferred_minute": patient.preferred_minute,
            "short_notice_ok": patient.short_notice_ok,
        }

    @extend_schema(
        operation_id="patients_availability_retrieve",
        responses=responses({200: AvailabilitySerializer}, bad=False, not_found=True),
    )
    def get(self, request, patient_id: int):
        """The patient's availability windows, preferred start and short-notice flag."""
        patient = get_object_or_404(Patient, pk=patient_id)
        return Response(self._out(patient))

    @extend_schema(
        operation_id="patients_availability_update",
        request=AvailabilitySerializer,
        responses=responses({200: AvailabilitySerializer}, not_found=True),
    )
    def put(self, request, patient_id: int):
        """Replace the patient's availability (audited)."""
        from patients import availability

        patient = get_object_or_404(Patient, pk=patient_id)
        serializer = self.AvailabilitySerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        windows = [{k: v for k, v in w.items() if v is not None} for w in data["windows"]]
        patient = availability.set_availability(
            patient=patient,
            windows=windows,
            preferred_minute=data["preferred_minute"],
            short_notice_ok=data["short_notice_ok"],
            by=request.user,
        )
        return Response(self._out(patient))
