"""Infusion sessions and series."""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxLengthValidator
from django.db import models
from django.db.models import F, Q

from scheduling.models.catalogue import (
    InfusionOption,
    Protocol,
)
from scheduling.models.resources import (
    Chair,
    Nurse,
)

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

    # Free text has a limit at the model (and the API): a 5 MB reason was stored once.
    override_reason = models.TextField(
        blank=True,
        max_length=1000,
        validators=[MaxLengthValidator(1000)],
        help_text="Why a dose is booked outside its window.",
    )
    cancel_reason = models.TextField(
        blank=True, max_length=1000, validators=[MaxLengthValidator(1000)]
    )
    rems_checked_at = models.DateTimeField(null=True, blank=True)
    rems_checked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # Actual times, written by the lifecycle transitions (services/day.py) and read by the
    # operations analytics: arrived (checked_in_at), seated (in_chair_at), infusion started
    # (started_at), infusion ended (infusion_ended_at), discharged (completed_at).
    confirmed_at = models.DateTimeField(null=True, blank=True)
    checked_in_at = models.DateTimeField(null=True, blank=True, help_text="Arrived.")
    checked_in_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    in_chair_at = models.DateTimeField(null=True, blank=True, help_text="Seated in the chair.")
    in_chair_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    started_at = models.DateTimeField(null=True, blank=True, help_text="Infusion started.")
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    infusion_ended_at = models.DateTimeField(null=True, blank=True, help_text="Infusion ended.")
    infusion_ended_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    completed_at = models.DateTimeField(null=True, blank=True, help_text="Discharged.")
    completed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    no_show_at = models.DateTimeField(null=True, blank=True)
    no_show_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    cancelled_at = models.DateTimeField(null=True, blank=True)
    # Labs at booking: a gating lab that could not be resulted in time was booked anyway, with
    # the coordinator's acknowledgement (shown on the confirmation, board and roster).
    lab_acknowledgement = models.CharField(max_length=300, blank=True)
    lab_acknowledged_at = models.DateTimeField(null=True, blank=True)
    lab_acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # At the chair: the nurse started although an each-dose lab was red.
    start_lab_acknowledgement = models.CharField(max_length=300, blank=True)
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
