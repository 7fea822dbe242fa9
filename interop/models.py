"""What the hospital sends us: every inbound message, raw, with its outcome; and the LOINC map.

An InboundMessage is written in the same transaction as what it applied, so a message is either
applied and recorded, or neither (then the sender gets no AA and sends it again). The sender's
control id (MSH-10, or a FHIR Bundle's identifier) is unique per sender: a repeat is answered
from the stored outcome and never applied twice.
"""

from __future__ import annotations

from django.db import models
from django.db.models import Q

from scheduling.models import LabTest


class Channel(models.TextChoices):
    HL7 = "hl7", "HL7 v2 (MLLP)"
    FHIR = "fhir", "FHIR transaction"


class Outcome(models.TextChoices):
    APPLIED = "applied", "Applied (AA)"
    ERROR = "error", "Not applied: error (AE)"
    REJECTED = "rejected", "Rejected: could not be read (AR)"


class InboundMessage(models.Model):
    channel = models.CharField(max_length=8, choices=Channel.choices, default=Channel.HL7)
    sender = models.CharField(
        max_length=120, blank=True, help_text="HL7 MSH-3^MSH-4 (application^facility)."
    )
    control_id = models.CharField(
        max_length=64, blank=True, help_text="MSH-10; blank when the message could not be read."
    )
    message_type = models.CharField(max_length=20, blank=True, help_text="e.g. ORU^R01")
    raw = models.TextField(help_text="Exactly what was received (decoded).")
    received_at = models.DateTimeField(auto_now_add=True)
    outcome = models.CharField(max_length=10, choices=Outcome.choices)
    ack_code = models.CharField(max_length=2, blank=True)
    detail = models.CharField(max_length=500, blank=True, help_text="The error or what applied.")
    patient = models.ForeignKey(
        "patients.Patient", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    duplicates = models.PositiveIntegerField(
        default=0, help_text="Times the same control id came again (acknowledged, not applied)."
    )
    last_duplicate_at = models.DateTimeField(null=True, blank=True)
    replays = models.PositiveIntegerField(default=0)
    last_replayed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-received_at", "-pk"]
        indexes = [models.Index(fields=["outcome", "received_at"], name="inbound_outcome_idx")]
        constraints = [
            models.UniqueConstraint(
                fields=["channel", "sender", "control_id"],
                condition=~Q(control_id=""),
                name="inbound_control_id_once",
            ),
            models.CheckConstraint(
                condition=Q(outcome__in=Outcome.values), name="inbound_outcome_valid"
            ),
            models.CheckConstraint(
                condition=Q(channel__in=Channel.values), name="inbound_channel_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.message_type or '?'} {self.control_id or '(unread)'} {self.outcome}"


class LoincMapping(models.Model):
    """A LOINC (or local lab) code and the catalogue lab test it counts for.

    An order code (OBR-4, a panel) or an observation code (OBX-3) may be mapped. A code mapped to
    no test is known and ignored (e.g. a component of a panel that is mapped as a whole)."""

    code = models.CharField(max_length=40)
    coding_system = models.CharField(
        max_length=20, default="LN", help_text="LN for LOINC, or the lab's local system name."
    )
    display = models.CharField(max_length=200, blank=True)
    lab_test = models.ForeignKey(
        LabTest,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="loinc_codes",
        help_text="Blank: known code, acknowledged and not recorded.",
    )
    active = models.BooleanField(default=True)
    notes = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["lab_test__name", "code"]
        verbose_name = "LOINC / lab code mapping"
        constraints = [
            models.UniqueConstraint(fields=["coding_system", "code"], name="loinc_code_once"),
            models.CheckConstraint(condition=~Q(code=""), name="loinc_code_not_blank"),
        ]

    def __str__(self) -> str:
        target = self.lab_test.name if self.lab_test_id else "ignored"
        return f"{self.coding_system} {self.code} → {target}"
