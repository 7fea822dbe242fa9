"""API: cost estimates, and a patient's treatment orders and authorizations (issue 14 §5).

Reads for every clinic role; writes (POST) for the front desk and managers, who receive the
orders and the payers' authorizations.
"""

from __future__ import annotations

from decimal import Decimal

from django.shortcuts import get_object_or_404
from django.utils import timezone
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.response import Response

from orders import estimate, selectors, services
from orders.models import OrdersSettings
from patients.models import Patient
from scheduling.api.permissions import BOOKERS
from scheduling.api.views.base import ClinicView, responses
from scheduling.models import InfusionSession, Protocol
from scheduling.world import center_tz

# --- estimates -------------------------------------------------------------------------------


class AdminCodeSerializer(serializers.Serializer):
    code = serializers.CharField()
    units = serializers.IntegerField()

    class Meta:
        ref_name = "AdminCode"


class SitesSerializer(serializers.Serializer):
    hospital_outpatient = serializers.FloatField(allow_null=True)
    infusion_center = serializers.FloatField(allow_null=True)
    home = serializers.FloatField(allow_null=True)

    class Meta:
        ref_name = "CostBySite"


class EstimateSerializer(serializers.Serializer):
    session = serializers.IntegerField(required=False)
    hcpcs = serializers.CharField()
    drug_units = serializers.IntegerField(allow_null=True)
    admin_codes = AdminCodeSerializer(many=True)
    sites = SitesSerializer(help_text="Estimated allowed amount per visit, dollars (illustrative).")
    protocol = serializers.CharField()
    dose_number = serializers.IntegerField()
    date = serializers.DateField()
    dose_mg = serializers.FloatField(allow_null=True)
    dose_mg_per_m2 = serializers.FloatField(allow_null=True)
    body_surface_area = serializers.FloatField(allow_null=True)
    infusion_minutes = serializers.IntegerField()
    breakdown = serializers.DictField(child=serializers.DictField())
    illustrative = serializers.BooleanField()
    notes = serializers.ListField(child=serializers.CharField())

    class Meta:
        ref_name = "SessionEstimate"


class SessionEstimateApi(ClinicView):
    @extend_schema(
        operation_id="session_estimate",
        responses=responses({200: EstimateSerializer}, bad=False, not_found=True),
    )
    def get(self, request, session_id: int):
        """What one session is estimated to cost at each site of care, with the HCPCS drug
        units and the CPT administration codes from its infusion minutes."""
        session = get_object_or_404(
            InfusionSession.objects.select_related("protocol", "patient"), pk=session_id
        )
        return Response(estimate.session_estimate(session=session).as_dict(session_id=session.pk))


class YearQuery(serializers.Serializer):
    year = serializers.IntegerField(required=False, min_value=2000, max_value=2100)


class PatientYearSerializer(serializers.Serializer):
    patient = serializers.IntegerField()
    year = serializers.IntegerField()
    sites = SitesSerializer(help_text="The year's total per site (null when a price is missing).")
    site_names = serializers.DictField(child=serializers.CharField())
    doses = EstimateSerializer(many=True)
    illustrative = serializers.BooleanField()

    class Meta:
        ref_name = "PatientYearEstimate"


class PatientEstimateApi(ClinicView):
    @extend_schema(
        operation_id="patient_estimate",
        parameters=[
            OpenApiParameter("year", int, description="Calendar year (default: this year).")
        ],
        responses=responses({200: PatientYearSerializer}, not_found=True),
    )
    def get(self, request, patient_id: int):
        """A patient's doses given and booked in a year, each priced at every site of care."""
        patient = get_object_or_404(Patient, pk=patient_id)
        q = self.query(YearQuery)
        year = q.get("year") or timezone.now().astimezone(center_tz()).year
        return Response(estimate.patient_year(patient=patient, year=year).as_dict())


# --- orders ----------------------------------------------------------------------------------


class OrderOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField(source="order.pk")
    protocol = serializers.CharField(source="order.protocol.code")
    dose_mg = serializers.FloatField(source="order.dose_mg", allow_null=True)
    dose_mg_per_m2 = serializers.FloatField(source="order.dose_mg_per_m2", allow_null=True)
    doses = serializers.IntegerField(source="order.doses", allow_null=True)
    end_date = serializers.DateField(source="order.end_date", allow_null=True)
    provider = serializers.CharField(source="order.provider")
    signed_on = serializers.DateField(source="order.signed_on")
    expires_on = serializers.DateField(source="order.expires_on")
    status = serializers.CharField(
        source="state", help_text="active | expiring | expired | used_up | cancelled | future"
    )
    doses_used = serializers.IntegerField(help_text="Doses booked or given in the order's span.")
    days_left = serializers.IntegerField()

    class Meta:
        ref_name = "TreatmentOrder"


class OrderInputSerializer(serializers.Serializer):
    protocol = serializers.SlugRelatedField(
        slug_field="code", queryset=Protocol.objects.filter(active=True)
    )
    dose_mg = serializers.DecimalField(
        max_digits=8, decimal_places=2, min_value=Decimal("0.01"), required=False, allow_null=True
    )
    dose_mg_per_m2 = serializers.DecimalField(
        max_digits=6, decimal_places=2, min_value=Decimal("0.01"), required=False, allow_null=True
    )
    doses = serializers.IntegerField(min_value=1, max_value=99, required=False, allow_null=True)
    end_date = serializers.DateField(required=False, allow_null=True)
    provider = serializers.CharField(max_length=120)
    signed_on = serializers.DateField()
    expires_on = serializers.DateField()
    notes = serializers.CharField(max_length=500, required=False, allow_blank=True)

    class Meta:
        ref_name = "TreatmentOrderIn"


def _today():
    return timezone.now().astimezone(center_tz()).date()


class PatientOrdersApi(ClinicView):
    write_roles = BOOKERS

    @extend_schema(
        operation_id="patient_orders_list",
        responses=responses({200: OrderOutputSerializer(many=True)}, bad=False, not_found=True),
    )
    def get(self, request, patient_id: int):
        """The patient's treatment orders with their status (expiring, expired, used up)."""
        patient = get_object_or_404(Patient, pk=patient_id)
        rows = selectors.order_statuses(
            selectors.ledger(patient),
            today=_today(),
            warn_days=OrdersSettings.load().expiry_warning_days,
        )
        return Response(OrderOutputSerializer(rows, many=True).data)

    @extend_schema(
        operation_id="patient_orders_create",
        request=OrderInputSerializer,
        responses=responses({201: OrderOutputSerializer}, not_found=True),
    )
    def post(self, request, patient_id: int):
        """Record a treatment order (dose in mg, or mg/m² for per-m² protocols)."""
        patient = get_object_or_404(Patient, pk=patient_id)
        data = OrderInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        order = services.create_order(patient=patient, by=request.user, **data.validated_data)
        rows = selectors.order_statuses(
            selectors.ledger(patient),
            today=_today(),
            warn_days=OrdersSettings.load().expiry_warning_days,
        )
        row = next(r for r in rows if r.order.pk == order.pk)
        return Response(OrderOutputSerializer(row).data, status=status.HTTP_201_CREATED)


# --- authorizations --------------------------------------------------------------------------


class AuthorizationOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField(source="authorization.pk")
    payer = serializers.CharField(source="authorization.payer")
    plan = serializers.CharField(source="authorization.plan")
    member_id = serializers.CharField(source="authorization.member_id")
    number = serializers.CharField(source="authorization.number")
    valid_from = serializers.DateField(source="authorization.valid_from")
    valid_to = serializers.DateField(source="authorization.valid_to")
    hcpcs = serializers.ListField(child=serializers.CharField(), source="authorization.hcpcs")
    units_approved = serializers.IntegerField(
        source="authorization.units_approved", allow_null=True
    )
    visits_approved = serializers.IntegerField(
        source="authorization.visits_approved", allow_null=True
    )
    units_used = serializers.IntegerField(help_text="Units of doses booked or given in the window.")
    visits_used = serializers.IntegerField()
    units_given = serializers.IntegerField()
    visits_given = serializers.IntegerField()
    units_left = serializers.IntegerField(allow_null=True)
    visits_left = serializers.IntegerField(allow_null=True)
    booked_after_end = serializers.IntegerField(
        help_text="Sessions booked after the authorization ends."
    )

    class Meta:
        ref_name = "Authorization"


class AuthorizationInputSerializer(serializers.Serializer):
    payer = serializers.CharField(max_length=120)
    plan = serializers.CharField(max_length=120, required=False, allow_blank=True)
    member_id = serializers.CharField(max_length=60)
    number = serializers.CharField(max_length=60)
    valid_from = serializers.DateField()
    valid_to = serializers.DateField()
    hcpcs = serializers.ListField(
        child=serializers.CharField(max_length=16), min_length=1, max_length=20
    )
    units_approved = serializers.IntegerField(
        min_value=1, max_value=10_000_000, required=False, allow_null=True
    )
    visits_approved = serializers.IntegerField(
        min_value=1, max_value=999, required=False, allow_null=True
    )
    notes = serializers.CharField(max_length=500, required=False, allow_blank=True)

    class Meta:
        ref_name = "AuthorizationIn"


class PatientAuthorizationsApi(ClinicView):
    write_roles = BOOKERS

    @extend_schema(
        operation_id="patient_authorizations_list",
        responses=responses(
            {200: AuthorizationOutputSerializer(many=True)}, bad=False, not_found=True
        ),
    )
    def get(self, request, patient_id: int):
        """The patient's authorizations with units and visits used (computed from sessions)."""
        patient = get_object_or_404(Patient, pk=patient_id)
        book = selectors.ledger(patient)
        rows = [book.authorization_use(a) for a in book.authorizations if a.voided_at is None]
        return Response(AuthorizationOutputSerializer(rows, many=True).data)

    @extend_schema(
        operation_id="patient_authorizations_create",
        request=AuthorizationInputSerializer,
        responses=responses({201: AuthorizationOutputSerializer}, not_found=True),
    )
    def post(self, request, patient_id: int):
        """Record a payer's authorization."""
        patient = get_object_or_404(Patient, pk=patient_id)
        data = AuthorizationInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        auth = services.create_authorization(
            patient=patient, by=request.user, **data.validated_data
        )
        use = selectors.ledger(patient).authorization_use(auth)
        return Response(AuthorizationOutputSerializer(use).data, status=status.HTTP_201_CREATED)
