"""The protocol catalogue: protocols, dose rules, lab tests and requirements."""

from __future__ import annotations

from django.core.validators import MaxLengthValidator
from django.db import models
from django.db.models import F, Q

from scheduling.models.center import (
    Confidence,
)
from scheduling.models.resources import (
    ChairKind,
)

# --- Protocol catalogue ---------------------------------------------------------------------


class Protocol(models.Model):
    """A drug regimen. Everything drug-specific is data here, editable in admin."""

    code = models.SlugField(max_length=60, unique=True, help_text="e.g. ocrelizumab_iv")
    brand_name = models.CharField(max_length=120)
    generic_name = models.CharField(max_length=160)
    route = models.CharField(max_length=160, blank=True)
    is_infusion = models.BooleanField(default=True)
    rems_program = models.CharField(
        max_length=160, blank=True, help_text="Blank when the drug has no REMS."
    )
    # What the patient is told about the safety-programme step, in plain words (the programme's
    # name would reveal the drug to whoever holds the link).
    patient_rems_step = models.CharField(
        max_length=300,
        blank=True,
        help_text="Shown to patients before each visit (no drug, programme or diagnosis names).",
    )
    rems_checks = models.TextField(
        blank=True,
        max_length=4000,
        validators=[MaxLengthValidator(4000)],
        help_text="What to verify before each infusion.",
    )
    required_skill = models.CharField(max_length=60, blank=True)
    required_chair_kind = models.CharField(max_length=16, choices=ChairKind.choices, blank=True)
    dose_unit = models.CharField(max_length=16, default="mg")
    lifetime_cap = models.DecimalField(
        max_digits=8,
        decimal_places=2,
        null=True,
        blank=True,
        help_text="Cumulative lifetime limit in dose units (mitoxantrone: 140 mg/m²).",
    )
    billing_code = models.CharField(max_length=16, blank=True)
    billing_descriptor = models.CharField(max_length=200, blank=True)
    billing_unit_amount = models.DecimalField(
        max_digits=8,
        decimal_places=2,
        null=True,
        blank=True,
        help_text="Dose units per billing unit.",
    )
    admin_cpt_codes = models.JSONField(default=list, blank=True)
    admin_code_family = models.CharField(
        max_length=16,
        choices=[("infusion", "Infusion (96365/96366)"), ("chemo", "Chemotherapy (96413/96415)")],
        default="infusion",
        help_text="CPT family the administration is billed under (initial hour + add-on hours).",
    )
    needs_authorization = models.BooleanField(
        default=False,
        help_text="Payers need a prior authorization before each dose is booked (biologics).",
    )
    premed_causes_drowsiness = models.BooleanField(
        default=False, help_text="Patients are told to bring a driver."
    )
    prep_advice = models.TextField(
        blank=True,
        max_length=4000,
        validators=[MaxLengthValidator(4000)],
        help_text="Extra preparation advice in emails.",
    )
    series_label = models.CharField(max_length=120, blank=True)
    courses_as_needed = models.BooleanField(
        default=False,
        help_text="Courses given on demand (relapse steroids): every course starts again at dose 1 "
        "and the protocol is never on the due worklist.",
    )
    confidence = models.JSONField(
        default=dict, blank=True, help_text="Source confidence per fact, from the reference."
    )
    notes = models.TextField(blank=True, max_length=8000, validators=[MaxLengthValidator(8000)])
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["brand_name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(lifetime_cap__isnull=True) | Q(lifetime_cap__gt=0),
                name="protocol_cap_positive",
            ),
            models.CheckConstraint(
                condition=Q(billing_unit_amount__isnull=True) | Q(billing_unit_amount__gt=0),
                name="protocol_billing_unit_positive",
            ),
            models.CheckConstraint(
                condition=Q(required_chair_kind="") | Q(required_chair_kind__in=ChairKind.values),
                name="protocol_chair_kind_valid",
            ),
            models.CheckConstraint(
                condition=Q(admin_code_family__in=["infusion", "chemo"]),
                name="protocol_admin_family_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.brand_name} ({self.generic_name})"

    @property
    def needs_rems(self) -> bool:
        return bool(self.rems_program)


class IntervalAnchor(models.TextChoices):
    PREVIOUS = "previous", "Previous dose"
    SERIES_START = "series_start", "First dose of the previous series"


class InfusionOption(models.TextChoices):
    STANDARD = "standard", "Standard"
    SHORTER = "shorter", "Shorter infusion"


class DoseRule(models.Model):
    """Timing and spacing for doses from_dose..to_dose (to_dose blank = and all later)."""

    protocol = models.ForeignKey(Protocol, on_delete=models.CASCADE, related_name="dose_rules")
    from_dose = models.PositiveSmallIntegerField()
    to_dose = models.PositiveSmallIntegerField(null=True, blank=True)
    option = models.CharField(
        max_length=16, choices=InfusionOption.choices, default=InfusionOption.STANDARD
    )
    label = models.CharField(max_length=120, blank=True)
    dose_amount = models.DecimalField(max_digits=8, decimal_places=2, null=True, blank=True)
    premed_lead_minutes = models.PositiveSmallIntegerField(default=0)
    premed_items = models.TextField(
        blank=True, max_length=4000, validators=[MaxLengthValidator(4000)]
    )
    infusion_minutes = models.PositiveSmallIntegerField()
    observation_minutes = models.PositiveSmallIntegerField(default=0)
    interval_days = models.PositiveSmallIntegerField(
        null=True, blank=True, help_text="Target days after the anchor dose. Blank for dose 1."
    )
    interval_anchor = models.CharField(
        max_length=16, choices=IntervalAnchor.choices, default=IntervalAnchor.PREVIOUS
    )
    min_interval_days = models.PositiveSmallIntegerField(
        null=True,
        blank=True,
        help_text="Never earlier than this many days after the previous dose.",
    )
    window_early_days = models.PositiveSmallIntegerField(default=0)
    window_late_days = models.PositiveSmallIntegerField(default=0)
    joins_series = models.BooleanField(
        default=False, help_text="Booked in one step with the dose before it (day 14, course days)."
    )
    optional = models.BooleanField(
        default=False, help_text="A course day that may be left out (steroid days 4-5)."
    )
    confidence = models.CharField(
        max_length=16, choices=Confidence.choices, default=Confidence.LABEL
    )
    notes = models.TextField(blank=True, max_length=8000, validators=[MaxLengthValidator(8000)])

    class Meta:
        ordering = ["protocol", "from_dose", "option"]
        constraints = [
            models.UniqueConstraint(
                fields=["protocol", "from_dose", "option"], name="doserule_unique_start"
            ),
            models.CheckConstraint(
                condition=Q(from_dose__gte=1), name="doserule_from_dose_positive"
            ),
            models.CheckConstraint(
                condition=Q(to_dose__isnull=True) | Q(to_dose__gte=F("from_dose")),
                name="doserule_to_not_before_from",
            ),
            models.CheckConstraint(
                condition=Q(infusion_minutes__gt=0), name="doserule_infusion_positive"
            ),
            models.CheckConstraint(
                condition=Q(premed_lead_minutes__lte=240)
                & Q(infusion_minutes__lte=720)
                & Q(observation_minutes__lte=480),
                name="doserule_durations_sane",
            ),
            models.CheckConstraint(
                condition=Q(dose_amount__isnull=True) | Q(dose_amount__gt=0),
                name="doserule_amount_positive",
            ),
            models.CheckConstraint(
                condition=Q(min_interval_days__isnull=True)
                | Q(interval_days__isnull=True)
                | Q(min_interval_days__lte=F("interval_days")),
                name="doserule_min_interval_le_target",
            ),
            models.CheckConstraint(
                condition=Q(joins_series=False) | Q(interval_days__isnull=False),
                name="doserule_series_dose_has_interval",
            ),
            models.CheckConstraint(
                condition=Q(option__in=InfusionOption.values), name="doserule_option_valid"
            ),
        ]

    def __str__(self) -> str:
        span = (
            f"{self.from_dose}+"
            if self.to_dose is None
            else (
                f"{self.from_dose}"
                if self.to_dose == self.from_dose
                else f"{self.from_dose}-{self.to_dose}"
            )
        )
        return f"{self.protocol.code} dose {span} ({self.option})"

    @property
    def chair_minutes(self) -> int:
        return self.premed_lead_minutes + self.infusion_minutes + self.observation_minutes

    def covers(self, dose_number: int) -> bool:
        return self.from_dose <= dose_number and (
            self.to_dose is None or dose_number <= self.to_dose
        )


class LabTest(models.Model):
    code = models.SlugField(max_length=60, unique=True)
    name = models.CharField(max_length=160)
    # What a patient's link page and email say: plain words that name neither the drug nor the
    # diagnosis ("Blood test for a virus antibody", not "Anti-JCV antibody").
    patient_name = models.CharField(
        max_length=120,
        blank=True,
        help_text="Shown to patients instead of the name (no drug or diagnosis words).",
    )

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    @property
    def name_for_patients(self) -> str:
        return self.patient_name or "A test your care team ordered"


class LabGate(models.TextChoices):
    FIRST_DOSE = "first_dose", "Before the first dose"
    EACH_DOSE = "each_dose", "Before each dose"
    PERIODIC = "periodic", "Periodic"
    COURSE_START = "course_start", "Before each course"


class LabRequirement(models.Model):
    protocol = models.ForeignKey(
        Protocol, on_delete=models.CASCADE, related_name="lab_requirements"
    )
    lab_test = models.ForeignKey(LabTest, on_delete=models.PROTECT, related_name="requirements")
    gate = models.CharField(max_length=16, choices=LabGate.choices)
    max_age_days = models.PositiveSmallIntegerField(
        null=True, blank=True, help_text="Blank: the source gives no recency limit."
    )
    confidence = models.CharField(
        max_length=16, choices=Confidence.choices, default=Confidence.LABEL
    )
    notes = models.TextField(blank=True, max_length=8000, validators=[MaxLengthValidator(8000)])

    class Meta:
        ordering = ["protocol", "lab_test"]
        constraints = [
            models.UniqueConstraint(fields=["protocol", "lab_test"], name="labreq_unique_test"),
            models.CheckConstraint(
                condition=Q(max_age_days__isnull=True) | Q(max_age_days__gt=0),
                name="labreq_max_age_positive",
            ),
            models.CheckConstraint(condition=Q(gate__in=LabGate.values), name="labreq_gate_valid"),
        ]

    def __str__(self) -> str:
        return f"{self.protocol.code}: {self.lab_test} ({self.get_gate_display()})"
