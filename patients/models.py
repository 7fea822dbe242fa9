"""Patients, their treatments, contact preferences and lab results. Health data: keep it minimal."""

from __future__ import annotations

import phonenumbers
from django.core.exceptions import ValidationError
from django.core.validators import MaxLengthValidator
from django.db import models
from django.db.models import Q


def normalize_mobile(raw: str, region: str = "US") -> str:
    """Return the E.164 form of a mobile number, or raise ValidationError with a plain message."""
    raw = (raw or "").strip()
    if not raw:
        return ""
    try:
        number = phonenumbers.parse(raw, region)
    except phonenumbers.NumberParseException as exc:
        raise ValidationError(f"{raw!r} is not a phone number.") from exc
    if not phonenumbers.is_valid_number(number):
        raise ValidationError(f"{raw!r} is not a valid phone number.")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def validate_e164(value: str) -> None:
    if value and normalize_mobile(value) != value:
        raise ValidationError("Enter the mobile number in E.164 form, e.g. +16175550123.")


class PreferredChannel(models.TextChoices):
    EMAIL = "email", "Email"
    SMS = "sms", "Text message"
    BOTH = "both", "Email and text"


class ConsentSource(models.TextChoices):
    IN_PERSON = "in_person", "In person"
    PHONE = "phone", "By phone"
    WRITTEN = "written", "Written form"
    PATIENT_LINK = "patient_link", "Patient link"


class Patient(models.Model):
    mrn = models.CharField("MRN", max_length=32, unique=True)
    first_name = models.CharField(max_length=80)
    last_name = models.CharField(max_length=80)
    date_of_birth = models.DateField()
    email = models.EmailField(blank=True)
    mobile = models.CharField(
        max_length=20, blank=True, validators=[validate_e164], help_text="E.164"
    )
    preferred_channel = models.CharField(
        max_length=8, choices=PreferredChannel.choices, default=PreferredChannel.BOTH
    )
    email_consent = models.BooleanField(default=True)
    sms_consent = models.BooleanField(default=True)
    sms_opted_out_at = models.DateTimeField(
        null=True, blank=True, help_text="Set when the patient texts STOP; never texted again."
    )
    email_opted_out = models.BooleanField(default=False)
    # When the current consent answer was recorded (given or withdrawn) and how it was given:
    # consent is never assumed, so the front desk records the moment and the way.
    email_consent_at = models.DateTimeField(null=True, blank=True)
    sms_consent_at = models.DateTimeField(null=True, blank=True)
    consent_source = models.CharField(
        max_length=16, choices=ConsentSource.choices, blank=True, default=""
    )
    time_zone = models.CharField(max_length=64, default="America/New_York")
    language = models.CharField(max_length=8, default="en")
    preferred_minute = models.PositiveSmallIntegerField(
        null=True,
        blank=True,
        help_text="Preferred local start time in minutes after midnight (e.g. 540 = 09:00).",
    )
    short_notice_ok = models.BooleanField(
        default=False, help_text="Can come at short notice when a chair frees up."
    )
    body_surface_area = models.DecimalField(
        max_digits=4,
        decimal_places=2,
        null=True,
        blank=True,
        help_text="m², for mitoxantrone dosing.",
    )
    notes = models.TextField(blank=True, max_length=2000, validators=[MaxLengthValidator(2000)])
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["last_name", "first_name"]
        indexes = [models.Index(fields=["last_name", "first_name"], name="patient_name_idx")]
        constraints = [
            models.CheckConstraint(
                condition=Q(mobile="") | Q(mobile__startswith="+"), name="patient_mobile_e164"
            ),
            models.CheckConstraint(
                condition=Q(preferred_minute__isnull=True) | Q(preferred_minute__lt=24 * 60),
                name="patient_preferred_minute_range",
            ),
            models.CheckConstraint(
                condition=Q(preferred_channel__in=PreferredChannel.values),
                name="patient_channel_valid",
            ),
            models.CheckConstraint(condition=~Q(mrn=""), name="patient_mrn_not_blank"),
        ]

    def __str__(self) -> str:
        return f"{self.last_name}, {self.first_name} ({self.mrn})"

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}"

    @property
    def initials(self) -> str:
        return f"{self.first_name[:1]}{self.last_name[:1]}".upper()

    @property
    def preferred_hour(self) -> int | None:
        """The preferred start's hour (older API and forms spoke in whole hours)."""
        return None if self.preferred_minute is None else self.preferred_minute // 60

    @preferred_hour.setter
    def preferred_hour(self, value: int | None) -> None:
        self.preferred_minute = None if value is None else int(value) * 60

    @property
    def preferred_time_label(self) -> str:
        m = self.preferred_minute
        return "" if m is None else f"{m // 60:02d}:{m % 60:02d}"

    @property
    def can_text(self) -> bool:
        return bool(self.mobile) and self.sms_consent and self.sms_opted_out_at is None

    @property
    def can_email(self) -> bool:
        return bool(self.email) and self.email_consent and not self.email_opted_out

    @property
    def unreachable(self) -> bool:
        """No channel can reach this patient: reminders and confirmations would go nowhere."""
        return not (self.can_text or self.can_email)

    def clean(self):
        from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

        errors = {}
        if self.mobile:
            try:
                self.mobile = normalize_mobile(self.mobile)
            except ValidationError as exc:
                errors["mobile"] = exc.messages
        try:
            ZoneInfo(self.time_zone)
        except (ZoneInfoNotFoundError, ValueError):
            errors["time_zone"] = [f"Unknown time zone {self.time_zone!r}."]
        if errors:
            raise ValidationError(errors)


class PatientProtocol(models.Model):
    """A patient's treatment: which protocol the neurologist ordered, and its gates."""

    patient = models.ForeignKey(Patient, on_delete=models.CASCADE, related_name="treatments")
    protocol = models.ForeignKey(
        "scheduling.Protocol", on_delete=models.PROTECT, related_name="treatments"
    )
    started_on = models.DateField(null=True, blank=True)
    active = models.BooleanField(default=True)
    shorter_infusion_eligible = models.BooleanField(
        default=False, help_text="No prior serious infusion reaction (Ocrevus shorter option)."
    )
    rems_authorized_until = models.DateField(
        null=True, blank=True, help_text="REMS authorization verified and valid through this date."
    )
    doses_before_center = models.PositiveSmallIntegerField(
        default=0, help_text="Doses given elsewhere before this center took over."
    )
    notes = models.TextField(blank=True, max_length=2000, validators=[MaxLengthValidator(2000)])

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["patient", "protocol"],
                condition=Q(active=True),
                name="one_active_treatment_per_protocol",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.patient} on {self.protocol.code}"


class LabStatus(models.TextChoices):
    ORDERED = "ordered", "Ordered, not resulted"
    RESULTED = "resulted", "Resulted"


class LabFlag(models.TextChoices):
    NORMAL = "normal", "Normal"
    ABNORMAL = "abnormal", "Abnormal"
    CRITICAL = "critical", "Critical"
    NONE = "", "—"


class LabResult(models.Model):
    patient = models.ForeignKey(Patient, on_delete=models.CASCADE, related_name="lab_results")
    lab_test = models.ForeignKey(
        "scheduling.LabTest", on_delete=models.PROTECT, related_name="results"
    )
    collected_on = models.DateField()
    status = models.CharField(max_length=12, choices=LabStatus.choices, default=LabStatus.RESULTED)
    resulted_on = models.DateField(null=True, blank=True)
    value = models.CharField(max_length=120, blank=True)
    flag = models.CharField(max_length=12, choices=LabFlag.choices, blank=True, default="")
    source = models.CharField(max_length=80, blank=True)

    class Meta:
        ordering = ["-collected_on"]
        indexes = [
            models.Index(
                fields=["patient", "lab_test", "collected_on"], name="labresult_lookup_idx"
            )
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(status="ordered") | Q(resulted_on__isnull=False),
                name="labresult_resulted_has_date",
            ),
            models.CheckConstraint(
                condition=Q(resulted_on__isnull=True)
                | Q(resulted_on__gte=models.F("collected_on")),
                name="labresult_result_after_collection",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.lab_test} {self.collected_on} ({self.status})"


class AvailabilityKind(models.TextChoices):
    AVAILABLE = "available", "Can come"
    UNAVAILABLE = "unavailable", "Cannot come"


class AvailabilityStrength(models.TextChoices):
    MUST = "must", "Must"
    WISH = "wish", "Wish"


WEEKDAY_SHORT = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


class AvailabilityWindow(models.Model):
    """When a patient can (or cannot) come: "Tue/Thu mornings", "after 14:00", "not Mondays".

    Read by every slot search, the planner and fit-me-in through
    patients.availability.availability_for (the engine's PatientAvailability). Written only
    through patients.availability.set_availability, which audits the change.
    """

    patient = models.ForeignKey(
        Patient, on_delete=models.CASCADE, related_name="availability_windows"
    )
    weekdays = models.JSONField(
        default=list, help_text="Weekday numbers, 0 = Monday .. 6 = Sunday."
    )
    start_time = models.TimeField(null=True, blank=True, help_text="Empty: from midnight.")
    end_time = models.TimeField(null=True, blank=True, help_text="Empty: to midnight.")
    kind = models.CharField(
        max_length=12, choices=AvailabilityKind.choices, default=AvailabilityKind.AVAILABLE
    )
    strength = models.CharField(
        max_length=8, choices=AvailabilityStrength.choices, default=AvailabilityStrength.MUST
    )
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["patient", "position", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(kind__in=AvailabilityKind.values), name="availability_kind_valid"
            ),
            models.CheckConstraint(
                condition=Q(strength__in=AvailabilityStrength.values),
                name="availability_strength_valid",
            ),
            models.CheckConstraint(
                condition=Q(start_time__isnull=True)
                | Q(end_time__isnull=True)
                | Q(end_time__gt=models.F("start_time")),
                name="availability_ends_after_start",
            ),
        ]

    def __str__(self) -> str:
        return self.label

    @property
    def label(self) -> str:
        """The coordinator's words: "Must: can come Tue, Thu 08:00-11:00"."""
        days = sorted(self.weekdays or [])
        if days == list(range(7)):
            day_text = "every day"
        elif days == [0, 1, 2, 3, 4]:
            day_text = "Mon-Fri"
        else:
            day_text = ", ".join(WEEKDAY_SHORT[d] for d in days if 0 <= d <= 6)
        if self.start_time is None and self.end_time is None:
            time_text = "all day"
        elif self.end_time is None:
            time_text = f"after {self.start_time:%H:%M}"
        elif self.start_time is None:
            time_text = f"before {self.end_time:%H:%M}"
        else:
            time_text = f"{self.start_time:%H:%M}-{self.end_time:%H:%M}"
        verb = "can come" if self.kind == AvailabilityKind.AVAILABLE else "cannot come"
        return f"{self.get_strength_display()}: {verb} {day_text} {time_text}"
