"""Planning the clinic (issue 11): the weekly level-loading template and the due-pipeline
planner's runs and proposals. The engine (scheduling/engine/template.py, planner.py) computes;
these rows are what a manager reviews and publishes and what a coordinator books from."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q

# The engine's duration classes (chair minutes: premedication + infusion + observation);
# scheduling.engine.template.DURATION_CLASSES is the definition, this is its display.
DURATION_CLASS_CHOICES = [
    ("le1h", "≤ 1 h"),
    ("1to2h", "1–2 h"),
    ("2to4h", "2–4 h"),
    ("gt4h", "> 4 h"),
]


class TemplateStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    PUBLISHED = "published", "Published"
    RETIRED = "retired", "Retired"


class WeeklyTemplate(models.Model):
    """How many starts of each duration class to book in each slot of each weekday, so chair
    occupancy ramps up, stays flat and ramps down. Built by CP-SAT from the last weeks and the
    due pipeline, edited and published by a manager; the slot search follows the published one.
    """

    name = models.CharField(max_length=120)
    status = models.CharField(
        max_length=12, choices=TemplateStatus.choices, default=TemplateStatus.DRAFT
    )
    slot_minutes = models.PositiveSmallIntegerField(default=15)
    hours = models.JSONField(default=dict, help_text='{"0": ["07:00", "19:00"], ...}')
    class_minutes = models.JSONField(
        default=dict, help_text="Typical chair minutes of each duration class."
    )
    source = models.JSONField(
        default=dict, blank=True, help_text="What it was built from and the solver's answer."
    )
    note = models.CharField(max_length=500, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    published_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["status"],
                condition=Q(status="published"),
                name="one_published_template",
            ),
            models.CheckConstraint(
                condition=Q(slot_minutes__gte=5) & Q(slot_minutes__lte=120),
                name="template_slot_minutes_range",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.get_status_display().lower()})"


class TemplateStart(models.Model):
    """One cell: `count` starts of `duration_class` at `start` on `weekday`."""

    template = models.ForeignKey(WeeklyTemplate, on_delete=models.CASCADE, related_name="starts")
    weekday = models.PositiveSmallIntegerField()
    start = models.TimeField()
    duration_class = models.CharField(max_length=8, choices=DURATION_CLASS_CHOICES)
    count = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["template", "weekday", "start", "duration_class"]
        constraints = [
            models.UniqueConstraint(
                fields=["template", "weekday", "start", "duration_class"],
                name="template_start_unique_cell",
            ),
            models.CheckConstraint(condition=Q(weekday__lte=6), name="template_weekday_range"),
            models.CheckConstraint(condition=Q(count__lte=200), name="template_count_le_200"),
        ]

    def __str__(self) -> str:
        return f"{self.weekday} {self.start:%H:%M} {self.duration_class} x{self.count}"


class PlanRunStatus(models.TextChoices):
    QUEUED = "queued", "Queued"
    RUNNING = "running", "Running"
    DONE = "done", "Done"
    FAILED = "failed", "Failed"


class PlanRun(models.Model):
    """One solve of the due pipeline over a horizon (a Celery task with progress)."""

    date_from = models.DateField()
    date_to = models.DateField()
    status = models.CharField(
        max_length=10, choices=PlanRunStatus.choices, default=PlanRunStatus.QUEUED
    )
    progress = models.PositiveSmallIntegerField(default=0, help_text="0-100")
    message = models.CharField(max_length=300, blank=True)
    stats = models.JSONField(default=dict, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(date_to__gte=models.F("date_from")), name="planrun_dates_ordered"
            ),
            models.CheckConstraint(condition=Q(progress__lte=100), name="planrun_progress_le_100"),
        ]

    def __str__(self) -> str:
        return f"Plan {self.date_from}..{self.date_to} ({self.status})"


class ProposalStatus(models.TextChoices):
    PROPOSED = "proposed", "Proposed"
    BOOKED = "booked", "Booked"
    SENT = "sent", "Sent to patient"
    ACCEPTED = "accepted", "Accepted by patient"
    DECLINED = "declined", "Declined by patient"
    STALE = "stale", "No longer possible"
    UNPLACED = "unplaced", "No slot found"


class PlanProposal(models.Model):
    """The planner's slot for one due dose, or its reason for having none."""

    run = models.ForeignKey(PlanRun, on_delete=models.CASCADE, related_name="proposals")
    patient = models.ForeignKey(
        "patients.Patient", on_delete=models.CASCADE, related_name="plan_proposals"
    )
    protocol = models.ForeignKey("scheduling.Protocol", on_delete=models.PROTECT, related_name="+")
    dose_number = models.PositiveSmallIntegerField()
    option = models.CharField(max_length=12, default="standard")
    due_date = models.DateField(null=True, blank=True)
    window_start = models.DateField(null=True, blank=True)
    window_end = models.DateField(null=True, blank=True)
    start = models.DateTimeField(null=True, blank=True)
    observation_end = models.DateTimeField(null=True, blank=True)
    chair = models.ForeignKey(
        "scheduling.Chair", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    nurse = models.ForeignKey(
        "scheduling.Nurse", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    in_window = models.BooleanField(
        default=True, help_text="Inside the patient's availability (must windows)."
    )
    minutes_from_preferred = models.PositiveIntegerField(default=0)
    days_from_due = models.SmallIntegerField(default=0)
    status = models.CharField(
        max_length=10, choices=ProposalStatus.choices, default=ProposalStatus.PROPOSED
    )
    reason = models.CharField(max_length=300, blank=True)
    session = models.ForeignKey(
        "scheduling.InfusionSession",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    sent_at = models.DateTimeField(null=True, blank=True)
    send_due_at = models.DateTimeField(null=True, blank=True)
    offer_channels = models.CharField(max_length=20, blank=True)
    decided_at = models.DateTimeField(null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["run", "start", "pk"]
        indexes = [
            models.Index(fields=["status", "send_due_at"], name="proposal_send_due_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.patient_id} {self.protocol_id}#{self.dose_number} at {self.start}"
