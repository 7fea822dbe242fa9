"""Orders, authorizations, body size, allergies and price tables. Health data: keep it minimal
(no diagnosis text; free text is short and capped)."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q

from orders import billing


class OrdersSettings(models.Model):
    """One row: whether booking needs an order and an authorization (manager-editable)."""

    orders_required = models.BooleanField(
        default=True,
        help_text="Booking or moving a dose needs an active treatment order that covers it.",
    )
    authorizations_required = models.BooleanField(
        default=True,
        help_text="For protocols that need one, booking needs an insurance authorization "
        "valid on the day with units and visits left (or an override reason).",
    )
    expiry_warning_days = models.PositiveSmallIntegerField(
        default=30, help_text="Orders and authorizations ending within this many days are listed."
    )
    expiry_email_days = models.PositiveSmallIntegerField(
        default=14,
        help_text="Staff are emailed this many days before an authorization ends when the "
        "patient has sessions booked after it.",
    )
    staff_email = models.EmailField(
        blank=True, help_text="Where authorization notices go (blank: the managers' addresses)."
    )

    class Meta:
        verbose_name = "orders and authorization settings"
        verbose_name_plural = "orders and authorization settings"

    def __str__(self) -> str:
        return "Orders and authorization settings"

    @classmethod
    def load(cls) -> OrdersSettings:
        obj = cls.objects.order_by("pk").first()
        return obj if obj is not None else cls.objects.create()


class TreatmentOrder(models.Model):
    """The neurologist's order for a patient and protocol. A dose is covered when it falls on
    or after the signed date, on or before the expiry (and the end date), and the order's
    number of doses is not used up by doses booked or given in that span."""

    patient = models.ForeignKey(
        "patients.Patient", on_delete=models.CASCADE, related_name="treatment_orders"
    )
    protocol = models.ForeignKey(
        "scheduling.Protocol", on_delete=models.PROTECT, related_name="treatment_orders"
    )
    dose_mg = models.DecimalField(
        max_digits=8,
        decimal_places=2,
        null=True,
        blank=True,
        help_text="Ordered dose in mg (blank: the catalogue's dose for each dose number).",
    )
    dose_mg_per_m2 = models.DecimalField(
        max_digits=6,
        decimal_places=2,
        null=True,
        blank=True,
        help_text="Ordered dose per m² of body surface (mitoxantrone).",
    )
    doses = models.PositiveSmallIntegerField(
        null=True, blank=True, help_text="Number of doses ordered (blank: until the end date)."
    )
    end_date = models.DateField(null=True, blank=True)
    provider = models.CharField("ordering provider", max_length=120)
    signed_on = models.DateField()
    expires_on = models.DateField()
    cancelled_at = models.DateTimeField(null=True, blank=True)
    notes = models.CharField(max_length=500, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-signed_on", "-pk"]
        indexes = [models.Index(fields=["patient", "protocol"], name="order_patient_protocol_idx")]
        constraints = [
            models.CheckConstraint(
                condition=Q(expires_on__gte=F("signed_on")), name="order_expiry_after_signed"
            ),
            models.CheckConstraint(
                condition=Q(end_date__isnull=True) | Q(end_date__gte=F("signed_on")),
                name="order_end_after_signed",
            ),
            models.CheckConstraint(
                condition=Q(doses__isnull=True) | Q(doses__gte=1), name="order_doses_positive"
            ),
            models.CheckConstraint(
                condition=Q(doses__isnull=False) | Q(end_date__isnull=False),
                name="order_doses_or_end_date",
            ),
            models.CheckConstraint(
                condition=Q(dose_mg__isnull=True) | Q(dose_mg__gt=0), name="order_dose_positive"
            ),
            models.CheckConstraint(
                condition=Q(dose_mg_per_m2__isnull=True) | Q(dose_mg_per_m2__gt=0),
                name="order_dose_per_m2_positive",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.protocol.code} order signed {self.signed_on} ({self.provider})"

    @property
    def last_day(self):
        """The last day the order covers: its expiry or its end date, whichever is first."""
        if self.end_date and self.end_date < self.expires_on:
            return self.end_date
        return self.expires_on

    def clean(self):
        errors = {}
        if self.expires_on and self.signed_on and self.expires_on < self.signed_on:
            errors["expires_on"] = ["The order cannot expire before it is signed."]
        if self.end_date and self.signed_on and self.end_date < self.signed_on:
            errors["end_date"] = ["The end date cannot be before the signed date."]
        if self.doses is None and self.end_date is None:
            errors["doses"] = ["Give the number of doses or an end date."]
        if self.protocol_id and self.protocol.dose_unit == "mg/m2" and not self.dose_mg_per_m2:
            errors["dose_mg_per_m2"] = ["This protocol is dosed per m² of body surface."]
        if errors:
            raise ValidationError(errors)


class Authorization(models.Model):
    """A payer's prior authorization: valid from/to, for HCPCS codes, with approved units
    and/or visits. Use is computed from the sessions booked and given, never typed in."""

    patient = models.ForeignKey(
        "patients.Patient", on_delete=models.CASCADE, related_name="authorizations"
    )
    payer = models.CharField(max_length=120)
    plan = models.CharField(max_length=120, blank=True)
    member_id = models.CharField(max_length=60)
    number = models.CharField("authorization number", max_length=60)
    valid_from = models.DateField()
    valid_to = models.DateField()
    hcpcs = models.JSONField(default=list, help_text='Approved HCPCS codes, e.g. ["J2350"].')
    units_approved = models.PositiveIntegerField(null=True, blank=True)
    visits_approved = models.PositiveSmallIntegerField(null=True, blank=True)
    voided_at = models.DateTimeField(null=True, blank=True)
    notes = models.CharField(max_length=500, blank=True)
    expiry_notice_sent_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-valid_to", "-pk"]
        indexes = [models.Index(fields=["patient", "valid_to"], name="auth_patient_valid_idx")]
        constraints = [
            models.CheckConstraint(
                condition=Q(valid_to__gte=F("valid_from")), name="auth_valid_to_after_from"
            ),
            models.CheckConstraint(
                condition=Q(units_approved__isnull=True) | Q(units_approved__gte=1),
                name="auth_units_positive",
            ),
            models.CheckConstraint(
                condition=Q(visits_approved__isnull=True) | Q(visits_approved__gte=1),
                name="auth_visits_positive",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.payer} #{self.number} {self.valid_from}–{self.valid_to}"

    def covers_code(self, code: str) -> bool:
        return not code or code in (self.hcpcs or [])

    def clean(self):
        if self.valid_from and self.valid_to and self.valid_to < self.valid_from:
            raise ValidationError({"valid_to": ["The authorization cannot end before it starts."]})


class CoverageOverride(models.Model):
    """A booking or move let through past an authorization problem, with who and why."""

    patient = models.ForeignKey("patients.Patient", on_delete=models.CASCADE, related_name="+")
    protocol = models.ForeignKey("scheduling.Protocol", on_delete=models.PROTECT, related_name="+")
    authorization = models.ForeignKey(
        Authorization, null=True, blank=True, on_delete=models.SET_NULL, related_name="overrides"
    )
    dose_number = models.PositiveSmallIntegerField()
    day = models.DateField()
    problem = models.CharField(max_length=300)
    reason = models.CharField(max_length=500)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"override {self.day} dose {self.dose_number}: {self.problem}"


class BodyMeasurement(models.Model):
    """Dated height and weight; the latest gives the body surface area (Mosteller)."""

    patient = models.ForeignKey(
        "patients.Patient", on_delete=models.CASCADE, related_name="body_measurements"
    )
    measured_on = models.DateField()
    height_cm = models.DecimalField(
        max_digits=5,
        decimal_places=1,
        validators=[MinValueValidator(Decimal("30")), MaxValueValidator(Decimal("250"))],
    )
    weight_kg = models.DecimalField(
        max_digits=5,
        decimal_places=1,
        validators=[MinValueValidator(Decimal("2")), MaxValueValidator(Decimal("400"))],
    )
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-measured_on", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(height_cm__gte=30) & Q(height_cm__lte=250), name="body_height_sane"
            ),
            models.CheckConstraint(
                condition=Q(weight_kg__gte=2) & Q(weight_kg__lte=400), name="body_weight_sane"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.measured_on}: {self.height_cm} cm, {self.weight_kg} kg"

    @property
    def bsa(self) -> Decimal:
        return billing.mosteller_bsa(float(self.height_cm), float(self.weight_kg))


class AllergySeverity(models.TextChoices):
    MILD = "mild", "Mild"
    MODERATE = "moderate", "Moderate"
    SEVERE = "severe", "Severe"
    UNKNOWN = "", "Not recorded"


class Allergy(models.Model):
    """A recorded allergy: what, the reaction in a few words, how bad."""

    patient = models.ForeignKey(
        "patients.Patient", on_delete=models.CASCADE, related_name="allergies"
    )
    substance = models.CharField(max_length=120)
    reaction = models.CharField(max_length=200, blank=True)
    severity = models.CharField(
        max_length=10, choices=AllergySeverity.choices, blank=True, default=""
    )
    active = models.BooleanField(default=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["substance"]
        verbose_name_plural = "allergies"
        constraints = [
            models.UniqueConstraint(
                fields=["patient", "substance"], condition=Q(active=True), name="allergy_unique"
            ),
            models.CheckConstraint(
                condition=Q(severity__in=AllergySeverity.values), name="allergy_severity_valid"
            ),
        ]

    def __str__(self) -> str:
        return self.substance


# --- Prices ---------------------------------------------------------------------------------


class SiteOfCare(models.Model):
    """Where an infusion can be given, with its price rules. The shipped numbers are
    ILLUSTRATIVE (seed articles or placeholders, see `source`): a center sets its own."""

    code = models.SlugField(max_length=40, unique=True)
    name = models.CharField(max_length=120)
    display_order = models.PositiveSmallIntegerField(default=0)
    drug_price_percent = models.DecimalField(
        max_digits=7,
        decimal_places=2,
        default=Decimal("100"),
        help_text="Drug price as a percentage of acquisition cost when the site has no price "
        "per unit for the code (hospital buy-and-bill ~290 %).",
    )
    facility_fee = models.DecimalField(
        "facility fee per visit", max_digits=10, decimal_places=2, default=Decimal("0")
    )
    illustrative = models.BooleanField(default=True)
    source = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["display_order", "code"]
        verbose_name_plural = "sites of care"
        constraints = [
            models.CheckConstraint(
                condition=Q(drug_price_percent__gte=0) & Q(facility_fee__gte=0),
                name="site_prices_not_negative",
            )
        ]

    def __str__(self) -> str:
        return self.name


class DrugCost(models.Model):
    """Acquisition cost per HCPCS unit (one table for every site)."""

    hcpcs = models.CharField(max_length=16, unique=True)
    acquisition_per_unit = models.DecimalField(max_digits=12, decimal_places=4)
    illustrative = models.BooleanField(default=True)
    source = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["hcpcs"]
        constraints = [
            models.CheckConstraint(
                condition=Q(acquisition_per_unit__gte=0), name="drugcost_not_negative"
            )
        ]

    def __str__(self) -> str:
        return f"{self.hcpcs}: ${self.acquisition_per_unit}/unit"


class SitePrice(models.Model):
    """One line of a site's price table: a fee per administration-code unit, or a drug price
    per HCPCS unit that replaces acquisition × percentage at this site."""

    class Kind(models.TextChoices):
        ADMIN = "admin", "Administration code (fee per unit)"
        DRUG = "drug", "Drug (price per HCPCS unit)"

    site = models.ForeignKey(SiteOfCare, on_delete=models.CASCADE, related_name="prices")
    kind = models.CharField(max_length=8, choices=Kind.choices)
    code = models.CharField(max_length=16)
    amount = models.DecimalField(max_digits=12, decimal_places=4)
    source = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["site", "kind", "code"]
        constraints = [
            models.UniqueConstraint(fields=["site", "kind", "code"], name="siteprice_unique"),
            models.CheckConstraint(condition=Q(amount__gte=0), name="siteprice_not_negative"),
            models.CheckConstraint(condition=Q(kind__in=["admin", "drug"]), name="siteprice_kind"),
        ]

    def __str__(self) -> str:
        return f"{self.site.code} {self.kind} {self.code}: ${self.amount}"
