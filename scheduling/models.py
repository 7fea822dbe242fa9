"""The clinic's resources, drug catalogue, sessions, reminders and audit trail.

Durations, ranges and uniqueness are enforced by the database (CheckConstraint,
UniqueConstraint); on PostgreSQL, exclusion constraints (migration 0002) make a double
booking of a chair or a patient impossible even under a race.
"""

from __future__ import annotations

import contextvars
import datetime as dt
import functools

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import F, Q


class Weekday(models.IntegerChoices):
    MONDAY = 0, "Monday"
    TUESDAY = 1, "Tuesday"
    WEDNESDAY = 2, "Wednesday"
    THURSDAY = 3, "Thursday"
    FRIDAY = 4, "Friday"
    SATURDAY = 5, "Saturday"
    SUNDAY = 6, "Sunday"


class Confidence(models.TextChoices):
    LABEL = "label", "US label / FDA"
    MANUFACTURER = "manufacturer", "Manufacturer"
    SECONDARY = "secondary", "Secondary source"
    EX_US_LABEL = "ex_us_label", "Non-US label"
    UNVERIFIED = "unverified", "Unverified (configurable default)"
    LOCAL = "local", "Local center choice"


# --- Center -------------------------------------------------------------------------------


class CenterSettings(models.Model):
    """One row: the center's clock, turnover and reminder defaults."""

    name = models.CharField(max_length=120, default="Infusion Center")
    address = models.CharField(max_length=255, blank=True)
    phone = models.CharField(max_length=40, blank=True)
    time_zone = models.CharField(max_length=64, default="America/New_York")
    turnover_minutes = models.PositiveSmallIntegerField(
        default=15, help_text="Cleaning and set-up after each patient before the chair is free."
    )
    stagger_minutes = models.PositiveSmallIntegerField(
        default=15, help_text="A nurse starts at most one patient in this window."
    )
    slot_step_minutes = models.PositiveSmallIntegerField(
        default=15, help_text="Start times offered are multiples of this."
    )
    lab_checklist_days_before = models.PositiveSmallIntegerField(default=7)
    prep_reminder_days_before = models.PositiveSmallIntegerField(default=3)
    day_before_sms = models.BooleanField(default=True)
    day_before_hour = models.PositiveSmallIntegerField(
        default=10, help_text="Local hour the day-before reminder goes out."
    )
    quiet_hours_start = models.TimeField(default=dt.time(21, 0))
    quiet_hours_end = models.TimeField(default=dt.time(9, 0))
    max_automated_sms_per_day = models.PositiveSmallIntegerField(default=1)
    each_dose_lab_max_age_days = models.PositiveSmallIntegerField(
        default=30,
        help_text="How recent an 'each dose' lab must be when the catalogue gives no limit.",
    )
    charge_nurse_email = models.EmailField(blank=True)
    front_desk_email = models.EmailField(blank=True)

    class Meta:
        verbose_name = "center settings"
        verbose_name_plural = "center settings"
        constraints = [
            models.CheckConstraint(
                condition=Q(slot_step_minutes__gte=5), name="center_slot_step_min_5"
            ),
            models.CheckConstraint(
                condition=Q(turnover_minutes__lte=240), name="center_turnover_le_240"
            ),
            models.CheckConstraint(
                condition=Q(stagger_minutes__lte=120), name="center_stagger_le_120"
            ),
            models.CheckConstraint(
                condition=Q(day_before_hour__lte=23), name="center_day_before_hour"
            ),
            models.CheckConstraint(
                condition=Q(max_automated_sms_per_day__gte=1), name="center_sms_cap_positive"
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def clean(self):
        from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

        try:
            ZoneInfo(self.time_zone)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValidationError({"time_zone": f"Unknown time zone {self.time_zone!r}."}) from exc

    @classmethod
    def load(cls) -> CenterSettings:
        """The center's settings row (created with defaults from the environment if absent).
        Inside `center_settings_scope` the row is read once and shared."""
        cached = _center_in_scope.get()
        if cached is not None:
            return cached
        obj = cls.objects.order_by("pk").first()
        if obj is None:
            obj = cls.objects.create(
                name=settings.CENTER_NAME,
                address=settings.CENTER_ADDRESS,
                phone=settings.CENTER_PHONE,
                time_zone=settings.TIME_ZONE,
            )
        return obj


_center_in_scope: contextvars.ContextVar[CenterSettings | None] = contextvars.ContextVar(
    "center_in_scope", default=None
)


def center_settings_scope(func):
    """Read the center settings once for the whole call of a service or selector (a booking
    asks for them in many places). Only for the length of one call, so an edit in admin is
    seen by the next request."""

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        if _center_in_scope.get() is not None:
            return func(*args, **kwargs)
        token = _center_in_scope.set(CenterSettings.load())
        try:
            return func(*args, **kwargs)
        finally:
            _center_in_scope.reset(token)

    return wrapper


class OpeningHours(models.Model):
    weekday = models.PositiveSmallIntegerField(choices=Weekday.choices, unique=True)
    opens = models.TimeField()
    closes = models.TimeField()

    class Meta:
        ordering = ["weekday"]
        verbose_name_plural = "opening hours"
        constraints = [
            models.CheckConstraint(
                condition=Q(closes__gt=F("opens")), name="hours_close_after_open"
            ),
            models.CheckConstraint(condition=Q(weekday__lte=6), name="hours_weekday_range"),
        ]

    def __str__(self) -> str:
        return f"{self.get_weekday_display()} {self.opens:%H:%M}-{self.closes:%H:%M}"


class Closure(models.Model):
    """A day the center is closed (holiday, training day)."""

    date = models.DateField(unique=True)
    reason = models.CharField(max_length=120)

    class Meta:
        ordering = ["date"]

    def __str__(self) -> str:
        return f"{self.date}: {self.reason}"


# --- Chairs and nurses ----------------------------------------------------------------------


class ChairKind(models.TextChoices):
    RECLINER = "recliner", "Recliner"
    BED = "bed", "Bed"


class Chair(models.Model):
    name = models.CharField(max_length=40, unique=True)
    area = models.CharField(max_length=60, blank=True)
    kind = models.CharField(max_length=16, choices=ChairKind.choices, default=ChairKind.RECLINER)
    features = models.JSONField(
        default=list, blank=True, help_text='e.g. ["near_station", "isolation"]'
    )
    active = models.BooleanField(default=True)
    display_order = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["display_order", "name"]
        constraints = [
            models.CheckConstraint(condition=Q(kind__in=ChairKind.values), name="chair_kind_valid"),
        ]

    def __str__(self) -> str:
        return self.name


class Nurse(models.Model):
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="nurse",
    )
    name = models.CharField(max_length=120)
    email = models.EmailField(blank=True)
    skills = models.JSONField(
        default=list, blank=True, help_text='e.g. ["chemo", "rems_natalizumab"]'
    )
    max_concurrent_patients = models.PositiveSmallIntegerField(default=4)
    is_charge_nurse = models.BooleanField(default=False)
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(max_concurrent_patients__gte=1) & Q(max_concurrent_patients__lte=8),
                name="nurse_max_concurrent_range",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def clean(self):
        if not isinstance(self.skills, list) or not all(isinstance(s, str) for s in self.skills):
            raise ValidationError({"skills": 'Skills must be a list of words, e.g. ["chemo"].'})


class NurseShift(models.Model):
    nurse = models.ForeignKey(Nurse, on_delete=models.CASCADE, related_name="shifts")
    weekday = models.PositiveSmallIntegerField(choices=Weekday.choices)
    start = models.TimeField()
    end = models.TimeField()

    class Meta:
        ordering = ["nurse", "weekday", "start"]
        constraints = [
            models.CheckConstraint(condition=Q(end__gt=F("start")), name="shift_end_after_start"),
            models.CheckConstraint(condition=Q(weekday__lte=6), name="shift_weekday_range"),
            models.UniqueConstraint(
                fields=["nurse", "weekday", "start"], name="shift_unique_start"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.nurse} {self.get_weekday_display()} {self.start:%H:%M}-{self.end:%H:%M}"


class NurseTimeOff(models.Model):
    nurse = models.ForeignKey(Nurse, on_delete=models.CASCADE, related_name="time_off")
    start_date = models.DateField()
    end_date = models.DateField()
    reason = models.CharField(max_length=120, blank=True)

    class Meta:
        ordering = ["start_date"]
        verbose_name_plural = "nurse time off"
        constraints = [
            models.CheckConstraint(
                condition=Q(end_date__gte=F("start_date")), name="timeoff_end_not_before_start"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.nurse} off {self.start_date}–{self.end_date}"


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
    rems_checks = models.TextField(blank=True, help_text="What to verify before each infusion.")
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
    premed_causes_drowsiness = models.BooleanField(
        default=False, help_text="Patients are told to bring a driver."
    )
    prep_advice = models.TextField(blank=True, help_text="Extra preparation advice in emails.")
    series_label = models.CharField(max_length=120, blank=True)
    courses_as_needed = models.BooleanField(
        default=False,
        help_text="Courses given on demand (relapse steroids): every course starts again at dose 1 "
        "and the protocol is never on the due worklist.",
    )
    confidence = models.JSONField(
        default=dict, blank=True, help_text="Source confidence per fact, from the reference."
    )
    notes = models.TextField(blank=True)
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
    premed_items = models.TextField(blank=True)
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
    notes = models.TextField(blank=True)

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

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


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
    notes = models.TextField(blank=True)

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


# --- Sessions -------------------------------------------------------------------------------


class SessionStatus(models.TextChoices):
    BOOKED = "booked", "Booked"
    CONFIRMED = "confirmed", "Confirmed"
    CHECKED_IN = "checked_in", "Checked in"
    IN_CHAIR = "in_chair", "In chair"
    COMPLETED = "completed", "Completed"
    CANCELLED = "cancelled", "Cancelled"
    NO_SHOW = "no_show", "No show"


# Sessions in these states hold their chair, nurse and patient time.
ACTIVE_STATUSES = (
    SessionStatus.BOOKED,
    SessionStatus.CONFIRMED,
    SessionStatus.CHECKED_IN,
    SessionStatus.IN_CHAIR,
)
# Doses that count for spacing and the next dose: booked ahead or given.
HELD_STATUSES = (*ACTIVE_STATUSES, SessionStatus.COMPLETED)


class Series(models.Model):
    """Doses booked in one step (Ocrevus day 0 + day 14, a Lemtrada course)."""

    patient = models.ForeignKey("patients.Patient", on_delete=models.PROTECT, related_name="series")
    protocol = models.ForeignKey(Protocol, on_delete=models.PROTECT, related_name="series")
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name_plural = "series"

    def __str__(self) -> str:
        return f"Series {self.pk} {self.protocol.code} for {self.patient}"


class InfusionSessionQuerySet(models.QuerySet):
    def active(self):
        return self.filter(status__in=ACTIVE_STATUSES)


class InfusionSession(models.Model):
    patient = models.ForeignKey(
        "patients.Patient", on_delete=models.PROTECT, related_name="sessions"
    )
    protocol = models.ForeignKey(Protocol, on_delete=models.PROTECT, related_name="sessions")
    dose_number = models.PositiveSmallIntegerField()
    option = models.CharField(
        max_length=16, choices=InfusionOption.choices, default=InfusionOption.STANDARD
    )
    series = models.ForeignKey(
        Series, null=True, blank=True, on_delete=models.SET_NULL, related_name="sessions"
    )
    chair = models.ForeignKey(Chair, on_delete=models.PROTECT, related_name="sessions")
    nurse = models.ForeignKey(
        Nurse, null=True, blank=True, on_delete=models.PROTECT, related_name="sessions"
    )
    status = models.CharField(
        max_length=16, choices=SessionStatus.choices, default=SessionStatus.BOOKED
    )

    start = models.DateTimeField(help_text="Arrival; the chair is taken from here.")
    premed_start = models.DateTimeField()
    infusion_start = models.DateTimeField()
    infusion_end = models.DateTimeField()
    observation_end = models.DateTimeField()
    chair_release_at = models.DateTimeField(help_text="Observation end plus turnover.")

    override_reason = models.TextField(
        blank=True, help_text="Why a dose is booked outside its window."
    )
    cancel_reason = models.TextField(blank=True)
    rems_checked_at = models.DateTimeField(null=True, blank=True)
    rems_checked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    confirmed_at = models.DateTimeField(null=True, blank=True)
    checked_in_at = models.DateTimeField(null=True, blank=True)
    started_at = models.DateTimeField(null=True, blank=True)
    completed_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    objects = InfusionSessionQuerySet.as_manager()

    class Meta:
        ordering = ["start", "chair"]
        indexes = [
            models.Index(fields=["start"], name="session_start_idx"),
            models.Index(fields=["status", "start"], name="session_status_start_idx"),
            models.Index(fields=["patient", "start"], name="session_patient_start_idx"),
            models.Index(fields=["chair", "start"], name="session_chair_start_idx"),
            models.Index(fields=["nurse", "start"], name="session_nurse_start_idx"),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(dose_number__gte=1), name="session_dose_positive"),
            models.CheckConstraint(
                condition=Q(status__in=SessionStatus.values), name="session_status_valid"
            ),
            models.CheckConstraint(
                condition=Q(premed_start__gte=F("start"))
                & Q(infusion_start__gte=F("premed_start"))
                & Q(infusion_end__gt=F("infusion_start"))
                & Q(observation_end__gte=F("infusion_end"))
                & Q(chair_release_at__gte=F("observation_end")),
                name="session_phases_ordered",
            ),
            models.CheckConstraint(
                condition=~Q(status=SessionStatus.CANCELLED) | ~Q(cancel_reason=""),
                name="session_cancel_has_reason",
            ),
        ]

    def __str__(self) -> str:
        return (
            f"{self.protocol.code} #{self.dose_number} {self.patient} {self.start:%Y-%m-%d %H:%M}"
        )

    @property
    def is_active(self) -> bool:
        return self.status in ACTIVE_STATUSES


# --- Reminders (outbox) ------------------------------------------------------------------------


class ReminderKind(models.TextChoices):
    LAB_CHECKLIST = "lab_checklist", "Lab checklist"
    PREP = "prep", "Preparation reminder"
    DAY_BEFORE = "day_before", "Day-before reminder"
    CANCELLATION = "cancellation", "Cancellation notice"
    RESCHEDULE = "reschedule", "Move notice"


class Channel(models.TextChoices):
    EMAIL = "email", "Email"
    SMS = "sms", "SMS"


class ReminderStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    SENDING = "sending", "Sending"
    SENT = "sent", "Sent"
    FAILED = "failed", "Failed"
    CANCELLED = "cancelled", "Cancelled"
    SKIPPED = "skipped", "Skipped"


class Reminder(models.Model):
    """A message to a patient, written in the booking's transaction; the dispatcher sends it."""

    session = models.ForeignKey(InfusionSession, on_delete=models.CASCADE, related_name="reminders")
    kind = models.CharField(max_length=16, choices=ReminderKind.choices)
    channel = models.CharField(max_length=8, choices=Channel.choices)
    due_at = models.DateTimeField()
    status = models.CharField(
        max_length=12, choices=ReminderStatus.choices, default=ReminderStatus.PENDING
    )
    attempts = models.PositiveSmallIntegerField(default=0)
    lease_until = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    skip_reason = models.CharField(max_length=200, blank=True)
    provider_message_id = models.CharField(max_length=200, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["due_at"]
        indexes = [models.Index(fields=["status", "due_at"], name="reminder_status_due_idx")]
        constraints = [
            models.CheckConstraint(
                condition=Q(kind__in=ReminderKind.values), name="reminder_kind_valid"
            ),
            models.CheckConstraint(
                condition=Q(channel__in=Channel.values), name="reminder_channel_valid"
            ),
            models.CheckConstraint(
                condition=Q(status__in=ReminderStatus.values), name="reminder_status_valid"
            ),
            models.CheckConstraint(
                condition=~Q(status=ReminderStatus.SENT) | Q(sent_at__isnull=False),
                name="reminder_sent_has_time",
            ),
            # One live reminder of each scheduled kind per session and channel.
            models.UniqueConstraint(
                fields=["session", "kind", "channel"],
                condition=Q(status__in=["pending", "sending"])
                & Q(kind__in=["lab_checklist", "prep", "day_before"]),
                name="reminder_one_live_per_kind",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} by {self.channel} for session {self.session_id} ({self.status})"


# --- Audit trail --------------------------------------------------------------------------------


class AuditEvent(models.Model):
    """Who changed which booking, when, and what it looked like before and after."""

    session = models.ForeignKey(
        InfusionSession,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="audit_events",
    )
    series = models.ForeignKey(
        Series, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    action = models.CharField(max_length=40)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    actor_label = models.CharField(
        max_length=120, blank=True, help_text="e.g. 'patient link', 'system'"
    )
    at = models.DateTimeField(auto_now_add=True)
    before = models.JSONField(null=True, blank=True)
    after = models.JSONField(null=True, blank=True)
    reason = models.TextField(blank=True)

    class Meta:
        ordering = ["-at", "-pk"]
        indexes = [models.Index(fields=["session", "at"], name="audit_session_at_idx")]

    def __str__(self) -> str:
        who = self.actor or self.actor_label or "system"
        return f"{self.at:%Y-%m-%d %H:%M} {who} {self.action} session {self.session_id}"
