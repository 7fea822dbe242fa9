"""Sessions: book one dose, book a series, list, detail, and every state change.

Views validate the shape of the request and call one service; the services own the rules and
raise BookingConflict (409) or SchedulingError (400), turned into answers in api/errors.py.
"""

from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.response import Response

from patients.models import Patient
from scheduling import selectors, services
from scheduling.api.fields import AwareDateTimeField, CommaChoicesField, IdField
from scheduling.api.pagination import Pages
from scheduling.api.permissions import BOOKERS, CORRECT, DAY_OF, DESK_DAY_OF
from scheduling.api.serializers import SessionOutputSerializer, session_rows, session_values
from scheduling.api.views.base import ClinicView, paged, responses
from scheduling.models import Chair, InfusionOption, InfusionSession, Nurse, Protocol, SessionStatus

_SESSIONS = InfusionSession.objects.select_related("patient", "protocol", "chair", "nurse")


def _fresh(session_id: int) -> InfusionSession:
    """Re-read with the relations the output needs (services return the bare row)."""
    return _SESSIONS.get(pk=session_id)


class SessionListApi(ClinicView):
    write_roles = BOOKERS

    class FilterSerializer(serializers.Serializer):
        date = serializers.DateField(required=False, help_text="Center-local day.")
        date_from = serializers.DateField(required=False)
        date_to = serializers.DateField(required=False)
        patient = IdField(required=False)
        chair = IdField(required=False)
        nurse = IdField(required=False)
        status = CommaChoicesField(choices=SessionStatus.choices, required=False)

        def validate(self, attrs):
            if (
                attrs.get("date_from")
                and attrs.get("date_to")
                and attrs["date_to"] < attrs["date_from"]
            ):
                raise serializers.ValidationError({"date_to": ["date_to is before date_from."]})
            return attrs

    class InputSerializer(serializers.Serializer):
        patient = serializers.PrimaryKeyRelatedField(queryset=Patient.objects.all())
        protocol = serializers.SlugRelatedField(
            slug_field="code",
            queryset=Protocol.objects.all(),
            help_text="Protocol code, e.g. ocrelizumab_iv.",
        )
        dose_number = serializers.IntegerField(min_value=1, max_value=500)
        start = AwareDateTimeField(help_text="Arrival, ISO 8601 with offset.")
        chair = serializers.PrimaryKeyRelatedField(
            queryset=Chair.objects.filter(active=True), required=False, allow_null=True
        )
        nurse = serializers.PrimaryKeyRelatedField(
            queryset=Nurse.objects.filter(active=True), required=False, allow_null=True
        )
        option = serializers.ChoiceField(
            choices=InfusionOption.choices, default=InfusionOption.STANDARD
        )
        override_reason = serializers.CharField(
            required=False, allow_blank=True, default="", max_length=500
        )

        lab_acknowledgement = serializers.CharField(
            required=False,
            allow_blank=True,
            default="",
            max_length=300,
            help_text="Needed when a gating lab cannot be resulted in time (409 code labs "
            "otherwise): why booking anyway is right.",
        )

        class Meta:
            ref_name = "BookSessionIn"

    @extend_schema(
        operation_id="sessions_list",
        parameters=[FilterSerializer],
        responses=responses({200: paged(SessionOutputSerializer, "Session")}),
    )
    def get(self, request):
        """Sessions in start order, filtered by center-local dates, patient, chair, nurse, status."""
        q = self.query(self.FilterSerializer)
        paginator = Pages()
        page = paginator.paginate_queryset(
            session_values(selectors.session_list(**q)), request, view=self
        )
        return paginator.get_paginated_response(session_rows(page))

    @extend_schema(
        operation_id="sessions_book",
        request=InputSerializer,
        responses=responses({201: SessionOutputSerializer}, conflict=True),
    )
    def post(self, request):
        """Book one dose. The engine picks chair and nurse when not given."""
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        session = services.book_session(by=request.user, **serializer.validated_data)
        return Response(
            SessionOutputSerializer(_fresh(session.pk)).data, status=status.HTTP_201_CREATED
        )


class SessionDetailApi(ClinicView):
    @extend_schema(
        operation_id="sessions_retrieve",
        responses=responses({200: SessionOutputSerializer}, bad=False, not_found=True),
    )
    def get(self, request, session_id: int):
        """One session with its phase times."""
        return Response(SessionOutputSerializer(get_object_or_404(_SESSIONS, pk=session_id)).data)


class SeriesCreateApi(ClinicView):
    write_roles = BOOKERS

    class InputSerializer(serializers.Serializer):
        patient = serializers.PrimaryKeyRelatedField(queryset=Patient.objects.all())
        protocol = serializers.SlugRelatedField(slug_field="code", queryset=Protocol.objects.all())
        start = AwareDateTimeField(
            help_text="First dose's arrival; later doses at the same local time."
        )
        first_dose = serializers.IntegerField(
            min_value=1, max_value=500, required=False, allow_null=True
        )
        option = serializers.ChoiceField(
            choices=InfusionOption.choices, default=InfusionOption.STANDARD
        )
        length = serializers.IntegerField(
            min_value=1, max_value=10, required=False, allow_null=True
        )
        override_reason = serializers.CharField(
            required=False, allow_blank=True, default="", max_length=500
        )

        lab_acknowledgement = serializers.CharField(
            required=False,
            allow_blank=True,
            default="",
            max_length=300,
            help_text="Needed when a gating lab cannot be resulted in time (409 code labs "
            "otherwise): why booking anyway is right.",
        )

        class Meta:
            ref_name = "BookSeriesIn"

    class OutputSerializer(serializers.Serializer):
        id = serializers.IntegerField()
        patient = serializers.IntegerField(source="patient_id")
        protocol = serializers.CharField(source="protocol.code")
        sessions = SessionOutputSerializer(many=True)

        class Meta:
            ref_name = "Series"

    @extend_schema(
        operation_id="series_book",
        request=InputSerializer,
        responses=responses({201: OutputSerializer}, conflict=True),
    )
    def post(self, request):
        """Book a protocol's series (Ocrevus day 0 + 14, a Lemtrada course): every dose or none."""
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        series = services.book_series(by=request.user, **serializer.validated_data)
        data = {
            "id": series.pk,
            "patient_id": series.patient_id,
            "protocol": series.protocol,
            "sessions": list(_SESSIONS.filter(series=series).order_by("dose_number")),
        }
        return Response(self.OutputSerializer(data).data, status=status.HTTP_201_CREATED)


# --- state changes -------------------------------------------------------------------------


def _brief(session: InfusionSession) -> dict:
    return {
        "id": session.pk,
        "dose_number": session.dose_number,
        "start": session.start.isoformat(),
        "status": session.status,
    }


class _SessionActionApi(ClinicView):
    """POST /api/sessions/{id}/<action>/: one service call, the session back."""

    InputSerializer: type[serializers.Serializer] | None = None

    def act(self, session, data, user):  # pragma: no cover - every subclass says what it does
        raise NotImplementedError

    def post(self, request, session_id: int):
        session = get_object_or_404(InfusionSession, pk=session_id)
        data = {}
        if self.InputSerializer is not None:
            serializer = self.InputSerializer(data=request.data)
            serializer.is_valid(raise_exception=True)
            data = serializer.validated_data
        self.extra = {}
        session = self.act(session, data, request.user)
        # A move or cancel may carry later doses with it: they are named beside the session.
        return Response({**SessionOutputSerializer(_fresh(session.pk)).data, **self.extra})


def _action_schema(operation_id, *, request=None, conflict=False, output=SessionOutputSerializer):
    return extend_schema(
        operation_id=operation_id,
        request=request,
        responses=responses({200: output}, conflict=conflict, not_found=True),
    )


class _BriefSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    dose_number = serializers.IntegerField()
    start = serializers.DateTimeField()
    status = serializers.CharField()

    class Meta:
        ref_name = "SessionBrief"


class MovedOutputSerializer(SessionOutputSerializer):
    moved_with = _BriefSerializer(many=True, help_text="Later doses moved with this one.")

    class Meta:
        ref_name = "SessionMoved"


class CancelledOutputSerializer(SessionOutputSerializer):
    cancelled_with = _BriefSerializer(
        many=True, help_text="Later doses of the series cancelled with this one."
    )

    class Meta:
        ref_name = "SessionCancelled"


class RescheduleApi(_SessionActionApi):
    write_roles = BOOKERS

    class InputSerializer(serializers.Serializer):
        start = AwareDateTimeField()
        chair = serializers.PrimaryKeyRelatedField(
            queryset=Chair.objects.filter(active=True), required=False, allow_null=True
        )
        nurse = serializers.PrimaryKeyRelatedField(
            queryset=Nurse.objects.filter(active=True), required=False, allow_null=True
        )
        override_reason = serializers.CharField(
            required=False, allow_blank=True, default="", max_length=500
        )
        move_series = serializers.BooleanField(
            default=False,
            help_text="Move the patient's later booked doses with it, each keeping its offset "
            "in days; without it a move that leaves a later dose too soon or outside its "
            "window needs an override reason.",
        )

        class Meta:
            ref_name = "RescheduleIn"

    def act(self, session, data, user):
        moved = services.reschedule(session=session, by=user, **data)
        self.extra = {"moved_with": [_brief(d) for d in moved.moved_with]}
        return moved

    @_action_schema(
        "sessions_reschedule",
        request=InputSerializer,
        conflict=True,
        output=MovedOutputSerializer,
    )
    def post(self, request, session_id: int):
        """Move a booked or confirmed session; reminders are re-timed and the patient told."""
        return super().post(request, session_id)


class CancelApi(_SessionActionApi):
    write_roles = BOOKERS

    class InputSerializer(serializers.Serializer):
        reason = serializers.CharField(max_length=500, help_text="Why; kept in the audit trail.")
        notify_patient = serializers.BooleanField(default=True)

        class Meta:
            ref_name = "CancelIn"

    def act(self, session, data, user):
        cancelled = services.cancel(session=session, by=user, **data)
        self.extra = {"cancelled_with": [_brief(d) for d in cancelled.cancelled_with]}
        return cancelled

    @_action_schema(
        "sessions_cancel", request=InputSerializer, conflict=True, output=CancelledOutputSerializer
    )
    def post(self, request, session_id: int):
        """Cancel with a reason: frees the chair, cancels reminders, tells the patient."""
        return super().post(request, session_id)


class _AtSerializer(serializers.Serializer):
    at = AwareDateTimeField(
        required=False,
        allow_null=True,
        help_text="When it really happened (late charting); on the session's day, never in the "
        "future. Defaults to now.",
    )

    class Meta:
        ref_name = "LifecycleIn"


class _StartSerializer(_AtSerializer):
    lab_acknowledgement = serializers.CharField(
        required=False,
        allow_blank=True,
        default="",
        max_length=300,
        help_text="Needed when an each-dose lab is red: what the nurse checked.",
    )

    class Meta:
        ref_name = "StartIn"


def _lifecycle_action(name, service, roles, doc, *, input_serializer=_AtSerializer):
    """A step of the infusion day: confirm, check-in, seat, start, end, complete, no-show, REMS
    check. The body is optional: `at` (the real time) and, for start, `lab_acknowledgement`."""

    class Api(_SessionActionApi):
        write_roles = roles
        InputSerializer = input_serializer

        def act(self, session, data, user):
            data = {k: v for k, v in data.items() if v not in (None, "")}
            return service(session=session, by=user, **data)

        @_action_schema(f"sessions_{name}", request=input_serializer, conflict=True)
        def post(self, request, session_id: int):
            return super().post(request, session_id)

    Api.post.__doc__ = doc
    Api.__name__ = Api.__qualname__ = "".join(w.title() for w in name.split("_")) + "Api"
    return Api


ConfirmApi = _lifecycle_action(
    "confirm", services.confirm, DESK_DAY_OF, "The patient confirmed they will come."
)
CheckInApi = _lifecycle_action(
    "check_in",
    services.check_in,
    DESK_DAY_OF,
    "The patient has arrived (only on the session's day, from the center's check-in time).",
)
SeatApi = _lifecycle_action(
    "seat", services.seat, DAY_OF, "The patient is in the chair (after check-in)."
)
StartApi = _lifecycle_action(
    "start",
    services.start_infusion,
    DAY_OF,
    "The infusion starts: after check-in; REMS drugs need the REMS check recorded first; a red "
    "each-dose lab needs `lab_acknowledgement` (409 code labs otherwise).",
    input_serializer=_StartSerializer,
)
EndInfusionApi = _lifecycle_action(
    "end_infusion", services.end_infusion, DAY_OF, "The infusion has run in; observation begins."
)
CompleteApi = _lifecycle_action(
    "complete",
    services.complete,
    DAY_OF,
    "Discharged: only after the infusion started; the chair goes to turnover.",
)
NoShowApi = _lifecycle_action(
    "no_show",
    services.mark_no_show,
    DESK_DAY_OF,
    "The patient did not come (only after the start plus the center's grace period).",
)
RemsCheckApi = _lifecycle_action(
    "rems_check",
    services.record_rems_check,
    DAY_OF,
    "The nurse verified the patient's REMS authorization for this infusion (on its day).",
)


class CorrectApi(_SessionActionApi):
    """Undo a wrong no-show, check-in or completion: charge nurse or manager only."""

    write_roles = CORRECT

    class InputSerializer(serializers.Serializer):
        correction = serializers.ChoiceField(choices=sorted(services.CORRECTIONS))
        reason = serializers.CharField(max_length=500, help_text="Why; kept in the audit trail.")

        class Meta:
            ref_name = "CorrectIn"

    def act(self, session, data, user):
        return services.correct_session(session=session, by=user, **data)

    @_action_schema("sessions_correct", request=InputSerializer, conflict=True)
    def post(self, request, session_id: int):
        """Correct the day's record (a wrong no-show, check-in or completion), with a reason."""
        return super().post(request, session_id)
