"""Planning over the API: the weekly template (managers edit, everyone reads) and the
due-pipeline planner (runs, proposals, book or send)."""

from __future__ import annotations

from django.shortcuts import get_object_or_404
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.parsers import JSONParser
from rest_framework.response import Response

from scheduling.api.permissions import BOOKERS
from scheduling.api.views.base import ClinicView, responses
from scheduling.engine import template as etemplate
from scheduling.exceptions import BookingConflict
from scheduling.models import PlanProposal, PlanRun, WeeklyTemplate
from scheduling.planning.templates import to_engine
from scheduling.roles import MANAGER
from scheduling.services import planner as planner_service
from scheduling.services import template as template_service

MANAGERS = frozenset({MANAGER})


# --- template ----------------------------------------------------------------------------------


class TemplateStartSerializer(serializers.Serializer):
    weekday = serializers.IntegerField(min_value=0, max_value=6)
    start = serializers.RegexField(r"^([01][0-9]|2[0-3]):[0-5][0-9]$", help_text="HH:MM local")
    duration_class = serializers.ChoiceField(choices=list(etemplate.CLASS_CODES), source="class")
    count = serializers.IntegerField(min_value=0, max_value=200)

    class Meta:
        ref_name = "TemplateStart"


class TemplateSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    status = serializers.CharField()
    slot_minutes = serializers.IntegerField()
    hours = serializers.DictField(child=serializers.ListField(child=serializers.CharField()))
    class_minutes = serializers.DictField(child=serializers.IntegerField())
    starts = TemplateStartSerializer(many=True)
    published_at = serializers.DateTimeField(allow_null=True)
    source = serializers.DictField()

    class Meta:
        ref_name = "WeeklyTemplate"


def _template_data(row: WeeklyTemplate) -> dict:
    t = to_engine(row)
    return {
        "id": row.pk,
        "name": row.name,
        "status": row.status,
        "slot_minutes": row.slot_minutes,
        "hours": row.hours,
        "class_minutes": t.class_minutes,
        "starts": t.to_json()["starts"],
        "published_at": row.published_at,
        "source": row.source,
    }


class TemplateListApi(ClinicView):
    """Weekly templates; managers build a draft with POST."""

    write_roles = MANAGERS
    # JSON only: every build field has a default, so a form or multipart body that DRF could
    # not read (schemathesis sent a malformed one) used to build a draft from the defaults
    # instead of being refused. A body in another media type is now a 415.
    parser_classes = [JSONParser]

    class BuildSerializer(serializers.Serializer):
        weeks = serializers.IntegerField(min_value=1, max_value=52, default=8)
        horizon_days = serializers.IntegerField(min_value=0, max_value=90, default=21)
        headroom = serializers.FloatField(min_value=0.5, max_value=2.0, default=1.0)
        name = serializers.CharField(max_length=120, required=False, allow_blank=True, default="")
        time_limit = serializers.FloatField(min_value=0.5, max_value=60, default=5.0)

        class Meta:
            ref_name = "TemplateBuild"

    @extend_schema(
        operation_id="templates_list",
        responses=responses({200: TemplateSerializer(many=True)}, bad=False),
    )
    def get(self, request):
        """Templates newest first (the published one is `status: published`)."""
        rows = WeeklyTemplate.objects.prefetch_related("starts")[:50]
        return Response(TemplateSerializer([_template_data(r) for r in rows], many=True).data)

    @extend_schema(
        operation_id="templates_build",
        request=BuildSerializer,
        responses=responses({201: TemplateSerializer}),
    )
    def post(self, request):
        """Build a draft from the last weeks and the due pipeline (CP-SAT)."""
        s = self.BuildSerializer(data=request.data)
        s.is_valid(raise_exception=True)
        row = template_service.build_template_draft(by=request.user, **s.validated_data)
        return Response(
            TemplateSerializer(_template_data(row)).data, status=status.HTTP_201_CREATED
        )


class TemplateDetailApi(ClinicView):
    write_roles = MANAGERS

    class StartsSerializer(serializers.Serializer):
        starts = TemplateStartSerializer(many=True, max_length=5000)

        class Meta:
            ref_name = "TemplateStartsIn"

    @extend_schema(
        operation_id="templates_retrieve",
        responses=responses({200: TemplateSerializer}, bad=False, not_found=True),
    )
    def get(self, request, template_id: int):
        return Response(
            TemplateSerializer(
                _template_data(get_object_or_404(WeeklyTemplate, pk=template_id))
            ).data
        )

    @extend_schema(
        operation_id="templates_update",
        request=StartsSerializer,
        responses=responses({200: TemplateSerializer}, conflict=True, not_found=True),
    )
    def put(self, request, template_id: int):
        """Replace a draft's starts (the engine's JSON form); 409 on a published template."""
        row = get_object_or_404(WeeklyTemplate, pk=template_id)
        s = self.StartsSerializer(data=request.data)
        s.is_valid(raise_exception=True)
        by_day: dict[int, dict] = {int(wd): {} for wd in (row.hours or {})}
        for item in s.validated_data["starts"]:
            hh, mm = item["start"].split(":")
            key = (int(hh) * 60 + int(mm), item["class"])
            by_day.setdefault(item["weekday"], {})
            by_day[item["weekday"]][key] = by_day[item["weekday"]].get(key, 0) + item["count"]
        from django.db import transaction

        with transaction.atomic():
            for wd, counts in sorted(by_day.items()):
                row = template_service.set_template_day(
                    template=row, weekday=wd, counts=counts, by=request.user
                )
        return Response(TemplateSerializer(_template_data(row)).data)


class TemplatePublishApi(ClinicView):
    write_roles = MANAGERS

    @extend_schema(
        operation_id="templates_publish",
        request=None,
        responses=responses({200: TemplateSerializer}, bad=False, conflict=True, not_found=True),
    )
    def post(self, request, template_id: int):
        """Publish a draft: the slot search follows it from now on (the old one is retired)."""
        row = get_object_or_404(WeeklyTemplate, pk=template_id)
        row = template_service.publish_template(template=row, by=request.user)
        return Response(TemplateSerializer(_template_data(row)).data)


# --- planner -----------------------------------------------------------------------------------


class ProposalSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    patient = serializers.IntegerField(source="patient_id")
    protocol = serializers.CharField(source="protocol.code")
    dose_number = serializers.IntegerField()
    due_date = serializers.DateField(allow_null=True)
    start = serializers.DateTimeField(allow_null=True)
    observation_end = serializers.DateTimeField(allow_null=True)
    chair = serializers.IntegerField(source="chair_id", allow_null=True)
    nurse = serializers.IntegerField(source="nurse_id", allow_null=True)
    in_window = serializers.BooleanField(help_text="Inside the patient's wishes.")
    minutes_from_preferred = serializers.IntegerField()
    days_from_due = serializers.IntegerField()
    status = serializers.CharField()
    reason = serializers.CharField()
    session = serializers.IntegerField(source="session_id", allow_null=True)

    class Meta:
        ref_name = "PlanProposal"


class RunSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    date_from = serializers.DateField()
    date_to = serializers.DateField()
    status = serializers.CharField()
    progress = serializers.IntegerField()
    message = serializers.CharField()
    stats = serializers.DictField()
    proposals = ProposalSerializer(many=True)

    class Meta:
        ref_name = "PlanRun"


def _run_data(run: PlanRun) -> dict:
    proposals = list(run.proposals.select_related("protocol").order_by("start", "pk"))
    return {
        **{
            f: getattr(run, f)
            for f in ("id", "date_from", "date_to", "status", "progress", "message", "stats")
        },
        "proposals": proposals,
    }


class PlanRunListApi(ClinicView):
    write_roles = BOOKERS

    class StartSerializer(serializers.Serializer):
        date_from = serializers.DateField()
        date_to = serializers.DateField()
        time_limit = serializers.IntegerField(min_value=1, max_value=600, required=False)

        class Meta:
            ref_name = "PlanRunIn"

    @extend_schema(
        operation_id="planner_runs_create",
        request=StartSerializer,
        responses=responses({202: RunSerializer}),
    )
    def post(self, request):
        """Start the planner over a horizon; poll the run until `status` is `done`."""
        s = self.StartSerializer(data=request.data)
        s.is_valid(raise_exception=True)
        run = planner_service.start_plan(by=request.user, **s.validated_data)
        return Response(RunSerializer(_run_data(run)).data, status=status.HTTP_202_ACCEPTED)


class PlanRunDetailApi(ClinicView):
    @extend_schema(
        operation_id="planner_runs_retrieve",
        responses=responses({200: RunSerializer}, bad=False, not_found=True),
    )
    def get(self, request, run_id: int):
        """A run's progress and, when done, every proposal."""
        return Response(RunSerializer(_run_data(get_object_or_404(PlanRun, pk=run_id))).data)


class ProposalConflictSerializer(serializers.Serializer):
    code = serializers.CharField()
    detail = serializers.CharField()
    conflicts = serializers.ListField(child=serializers.DictField())
    proposal = ProposalSerializer(help_text="The proposal refreshed with a new slot (or unplaced).")

    class Meta:
        ref_name = "ProposalConflict"


class ProposalBookApi(ClinicView):
    write_roles = BOOKERS

    class BookSerializer(serializers.Serializer):
        override_reason = serializers.CharField(
            max_length=500, required=False, allow_blank=True, default=""
        )
        expected_start = serializers.DateTimeField(
            required=False, help_text="The start you reviewed; 409 if the proposal changed since."
        )

        class Meta:
            ref_name = "ProposalBookIn"

    @extend_schema(
        operation_id="planner_proposals_book",
        request=BookSerializer,
        responses=responses(
            {
                200: ProposalSerializer,
                409: OpenApiResponse(
                    ProposalConflictSerializer, description="Taken: a fresh proposal."
                ),
            },
            not_found=True,
        ),
    )
    def post(self, request, proposal_id: int):
        """Book one proposal through the booking service. 409: someone took the slot; the
        answer carries the proposal with a fresh slot."""
        p = get_object_or_404(PlanProposal, pk=proposal_id)
        s = self.BookSerializer(data=request.data)
        s.is_valid(raise_exception=True)
        try:
            p = planner_service.book_proposal(
                proposal=p,
                by=request.user,
                override_reason=s.validated_data["override_reason"],
                expected_start=s.validated_data.get("expected_start"),
            )
        except BookingConflict as exc:
            fresh = getattr(exc, "proposal", None) or PlanProposal.objects.get(pk=proposal_id)
            return Response(
                {
                    "code": exc.code,
                    "detail": str(exc),
                    "conflicts": exc.conflicts,
                    "proposal": ProposalSerializer(fresh).data,
                },
                status=status.HTTP_409_CONFLICT,
            )
        return Response(ProposalSerializer(p).data)


class ProposalSendApi(ClinicView):
    write_roles = BOOKERS

    @extend_schema(
        operation_id="planner_proposals_send",
        request=None,
        responses=responses({200: ProposalSerializer}, conflict=True, not_found=True),
    )
    def post(self, request, proposal_id: int):
        """Offer the proposal to the patient by text/email (a signed accept/decline link)."""
        p = get_object_or_404(PlanProposal, pk=proposal_id)
        p = planner_service.send_proposal(proposal=p, by=request.user)
        return Response(ProposalSerializer(p).data)


__all__ = [
    "PlanRunDetailApi",
    "PlanRunListApi",
    "ProposalBookApi",
    "ProposalSendApi",
    "TemplateDetailApi",
    "TemplateListApi",
    "TemplatePublishApi",
]
