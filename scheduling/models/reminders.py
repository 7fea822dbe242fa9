"""The reminder outbox."""

from __future__ import annotations

from django.db import models
from django.db.models import Q

from scheduling.models.sessions import (
    InfusionSession,
)

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
