"""API: /api/waitlist/ and /api/offers/ (names are the contract; see issue 13).

Views check the shape of the request and call one waitlist service; the services own the
rules. Reads for every clinic role; writes (add, edit, remove, accept or decline for a patient
on the phone) for the front desk and managers, like booking.
"""

from __future__ import annotations

from django.shortcuts import get_object_or_404
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.response import Response

from patients.models import Patient
from scheduling.api.fields import IdField
from scheduling.api.permissions import BOOKERS
from scheduling.api.views.base import ClinicView, paged, responses
from scheduling.models import Protocol
from waitlist import selectors, services
from waitlist.models import EntryStatus, Offer, OfferChannel, OfferStatus, WaitlistEntry


class WindowSerializer(serializers.Serializer):
    """An availability window, the engine's JSON form (scheduling/engine/availability.py)."""

    weekdays = serializers.ListField(
        child=serializers.IntegerField(min_value=0, max_value=6), max_length=7
    )
    start = serializers.CharField(max_length=5, required=False, help_text="HH:MM")
    end = serializers.CharField(max_length=5, required=False, help_text="HH:MM")
    kind = serializers.ChoiceField(choices=["available", "unavailable"], default="available")
    strength = serializers.ChoiceField(choices=["must", "wish"], default="must")

    class Meta:
        ref_name = "WaitlistWindow"


class EntryOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    patient = serializers.IntegerField(source="patient_id")
    patient_name = serializers.CharField(source="patient.full_name")
    protocol = serializers.CharField(source="protocol.code")
    dose_number = serializers.IntegerField()
    earliest = serializers.DateField()
    latest = serializers.DateField()
    windows = WindowSerializer(many=True)
    min_notice_hours = serializers.IntegerField()
    channel = serializers.CharField()
    urgent = serializers.BooleanField()
    due_date = serializers.DateField(allow_null=True)
    priority = serializers.IntegerField(
        allow_null=True, help_text="Place in the priority order (1 = offered first)."
    )
    status = serializers.CharField()
    notes = serializers.CharField()
    offers_sent = serializers.IntegerField()
    created_at = serializers.DateTimeField()
    ended_at = serializers.DateTimeField(allow_null=True)
    end_reason = serializers.CharField()

    class Meta:
        ref_name = "WaitlistEntry"


class OfferOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    patient = serializers.IntegerField(source="patient_id")
    entry = serializers.IntegerField(source="entry_id")
    session = serializers.IntegerField(
        source="session_id", allow_null=True, help_text="The booking it would move, or null."
    )
    start = serializers.DateTimeField()
    chair = serializers.IntegerField(source="chair_id")
    nurse = serializers.IntegerField(source="nurse_id", allow_null=True)
    hold_until = serializers.DateTimeField()
    status = serializers.ChoiceField(choices=OfferStatus.choices)
    channel = serializers.CharField()
    booked_session = serializers.IntegerField(source="booked_session_id", allow_null=True)
    responded_at = serializers.DateTimeField(allow_null=True)
    responded_via = serializers.CharField()
    created_at = serializers.DateTimeField()

    class Meta:
        ref_name = "Offer"


def _entry_out(entry, priorities) -> dict:
    entry.priority = priorities.get(entry.pk)
    entry.offers_sent = getattr(entry, "offers_sent", None) or entry.offers.count()
    return EntryOutputSerializer(entry).data


class WaitlistListApi(ClinicView):
    write_roles = BOOKERS

    class FilterSerializer(serializers.Serializer):
        status = serializers.ChoiceField(choices=EntryStatus.choices, required=False)
        patient = IdField(required=False)
        protocol = serializers.CharField(required=False, max_length=64)

    class InputSerializer(serializers.Serializer):
        patient = serializers.PrimaryKeyRelatedField(queryset=Patient.objects.all())
        protocol = serializers.SlugRelatedField(slug_field="code", queryset=Protocol.objects.all())
        dose_number = serializers.IntegerField(min_value=1, max_value=500)
        earliest = serializers.DateField()
        latest = serializers.DateField()
        windows = WindowSerializer(
            many=True,
            required=False,
            allow_null=True,
            help_text="Omitted: the patient's stored availability.",
        )
        min_notice_hours = serializers.IntegerField(min_value=0, max_value=720, default=24)
        channel = serializers.ChoiceField(choices=OfferChannel.choices, default=OfferChannel.SMS)
        urgent = serializers.BooleanField(default=False)
        notes = serializers.CharField(max_length=300, required=False, allow_blank=True, default="")

        class Meta:
            ref_name = "WaitlistEntryIn"

    @extend_schema(
        operation_id="waitlist_list",
        parameters=[FilterSerializer],
        responses=responses({200: paged(EntryOutputSerializer, "WaitlistEntry")}),
    )
    def get(self, request):
        """The waitlist in priority order (active entries first; ended ones after)."""
        q = self.query(self.FilterSerializer)
        entries = selectors.waitlist(**q)
        priorities = selectors.priorities()
        for e in entries:
            e.priority = priorities.get(e.pk)
        return self.paginate(entries, EntryOutputSerializer)

    @extend_schema(
        operation_id="waitlist_add",
        request=InputSerializer,
        responses=responses({201: EntryOutputSerializer}, conflict=True),
    )
    def post(self, request):
        """Put a patient on the waitlist for an earlier slot (409 if already on it)."""
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        if data.get("windows") is not None:
            data["windows"] = [dict(w) for w in data["windows"]]
        entry = services.add_entry(by=request.user, **data)
        return Response(_entry_out(entry, selectors.priorities()), status=status.HTTP_201_CREATED)


class WaitlistDetailApi(ClinicView):
    write_roles = BOOKERS

    class PatchSerializer(serializers.Serializer):
        earliest = serializers.DateField(required=False)
        latest = serializers.DateField(required=False)
        windows = WindowSerializer(many=True, required=False)
        min_notice_hours = serializers.IntegerField(min_value=0, max_value=720, required=False)
        channel = serializers.ChoiceField(choices=OfferChannel.choices, required=False)
        urgent = serializers.BooleanField(required=False)
        notes = serializers.CharField(max_length=300, required=False, allow_blank=True)

        class Meta:
            ref_name = "WaitlistEntryPatch"

    def _entry(self, entry_id):
        return get_object_or_404(
            WaitlistEntry.objects.select_related("patient", "protocol"), pk=entry_id
        )

    @extend_schema(
        operation_id="waitlist_retrieve",
        responses=responses({200: EntryOutputSerializer}, bad=False, not_found=True),
    )
    def get(self, request, entry_id: int):
        """One entry with its place in the priority order."""
        return Response(_entry_out(self._entry(entry_id), selectors.priorities()))

    @extend_schema(
        operation_id="waitlist_update",
        request=PatchSerializer,
        responses=responses({200: EntryOutputSerializer}, conflict=True, not_found=True),
    )
    def patch(self, request, entry_id: int):
        """Edit an active entry (window, availability, notice, channel, urgency, notes)."""
        entry = self._entry(entry_id)
        serializer = self.PatchSerializer(data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        if "windows" in data:
            data["windows"] = [dict(w) for w in data["windows"]]
        entry = services.update_entry(entry=entry, by=request.user, **data)
        return Response(_entry_out(entry, selectors.priorities()))

    @extend_schema(
        operation_id="waitlist_remove",
        responses=responses(
            {204: OpenApiResponse(description="Removed (open offers withdrawn).")},
            bad=False,
            not_found=True,
        ),
    )
    def delete(self, request, entry_id: int):
        """Take the patient off the waitlist; the entry stays in the history as removed."""
        services.remove_entry(entry=self._entry(entry_id), by=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


class OfferListApi(ClinicView):
    class FilterSerializer(serializers.Serializer):
        patient = IdField(required=False)
        status = serializers.ChoiceField(choices=OfferStatus.choices, required=False)

    @extend_schema(
        operation_id="offers_list",
        parameters=[FilterSerializer],
        responses=responses({200: paged(OfferOutputSerializer, "Offer")}),
    )
    def get(self, request):
        """Offers, newest first, by patient and status."""
        q = self.query(self.FilterSerializer)
        return self.paginate(selectors.offers(**q), OfferOutputSerializer)


class _AnswerApi(ClinicView):
    write_roles = BOOKERS

    def _offer(self, offer_id):
        return get_object_or_404(Offer, pk=offer_id)


_ANSWER_RESPONSES = responses(
    {200: OfferOutputSerializer}, conflict=True, not_found=True, bad=False
)


class OfferAcceptApi(_AnswerApi):
    @extend_schema(operation_id="offers_accept", request=None, responses=_ANSWER_RESPONSES)
    def post(self, request, offer_id: int):
        """Accept for the patient (on the phone): books the slot, moving their later booking.
        409 `taken` when another patient accepted first, `expired`, `withdrawn`..."""
        offer = services.accept_offer(
            offer=self._offer(offer_id), by=request.user, via="api", actor_label="staff (API)"
        )
        return Response(OfferOutputSerializer(offer).data)


class OfferDeclineApi(_AnswerApi):
    class InputSerializer(serializers.Serializer):
        for_good = serializers.BooleanField(
            default=False, help_text="Also take the patient off the waitlist."
        )

        class Meta:
            ref_name = "OfferDeclineIn"

    @extend_schema(
        operation_id="offers_decline", request=InputSerializer, responses=_ANSWER_RESPONSES
    )
    def post(self, request, offer_id: int):
        """Decline for the patient: the slot goes to the next patient in line."""
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        offer = services.decline_offer(
            offer=self._offer(offer_id),
            for_good=serializer.validated_data["for_good"],
            by=request.user,
            via="api",
            actor_label="staff (API)",
        )
        return Response(OfferOutputSerializer(offer).data)
