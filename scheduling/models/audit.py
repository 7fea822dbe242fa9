"""The audit trail of every booking change."""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxLengthValidator
from django.db import models

from scheduling.models.sessions import (
    InfusionSession,
    Series,
)

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
    reason = models.TextField(blank=True, max_length=2000, validators=[MaxLengthValidator(2000)])

    class Meta:
        ordering = ["-at", "-pk"]
        indexes = [models.Index(fields=["session", "at"], name="audit_session_at_idx")]

    def __str__(self) -> str:
        who = self.actor or self.actor_label or "system"
        return f"{self.at:%Y-%m-%d %H:%M} {who} {self.action} session {self.session_id}"
