"""The waitlist and backfill: who wants an earlier chair, the chair time that freed, the offers.

Rows, in the lock order every write path takes them (documented in waitlist/services/__init__):
patient → freed time → its offers (by id) → sessions → chairs → nurses. An offer message
(the outbox of offer texts and emails) is locked after its patient, like a reminder.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import models
from django.db.models import Q

# --- settings --------------------------------------------------------------------------------


class WaitlistSettings(models.Model):
    """One row: how the center offers freed chair time (a manager edits it in admin)."""

    # Three at once by default: one patient at a time with a 30-minute hold gets through only
    # a handful of patients a day (most answer late or not at all), so time freed a few days
    # ahead often passed unfilled; the top three in priority order, first to accept wins,
    # filled it in a third of the time (backfill bench, issue 13).
    offers_at_once = models.PositiveSmallIntegerField(
        default=3,
        help_text="Offer a freed slot to this many waitlisted patients at once, the next in "
        "priority order (first to accept gets it). 1 = one patient at a time.",
    )
    hold_minutes = models.PositiveSmallIntegerField(
        default=30, help_text="How long an offer is held for the patient during business hours."
    )
    min_lead_minutes = models.PositiveIntegerField(
        default=120,
        help_text="Freed time starting sooner than this is not offered (no one can come).",
    )
    # Each patient is offered a slot at most once, so this only stops a slot being sent down
    # the whole list; 12 ran out on time freed a week or more ahead while patients who fit
    # were still waiting (a third of offers go unanswered).
    max_offers_per_slot = models.PositiveSmallIntegerField(
        default=40, help_text="Stop offering a freed slot after this many offers."
    )
    offer_exempt_from_text_cap = models.BooleanField(
        default=True,
        help_text="An offer text may go out even if the patient already had their one "
        "automated text today (it is time-critical and asked for).",
    )
    enabled = models.BooleanField(default=True, help_text="Send offers automatically.")

    class Meta:
        verbose_name = "waitlist settings"
        verbose_name_plural = "waitlist settings"
        constraints = [
            models.CheckConstraint(
                condition=Q(offers_at_once__gte=1) & Q(offers_at_once__lte=10),
                name="waitlist_offers_at_once_1_10",
            ),
            models.CheckConstraint(condition=Q(hold_minutes__gte=5), name="waitlist_hold_min_5"),
            models.CheckConstraint(
                condition=Q(max_offers_per_slot__gte=1), name="waitlist_max_offers_positive"
            ),
        ]

    def __str__(self) -> str:
        return "Waitlist settings"

    @classmethod
    def load(cls) -> WaitlistSettings:
        obj = cls.objects.order_by("pk").first()
        return obj if obj is not None else cls.objects.create()


# --- waitlist entries ------------------------------------------------------------------------


class OfferChannel(models.TextChoices):
    SMS = "sms", "Text message"
    EMAIL = "email", "Email"
    CALL = "call", "Phone call by staff"


class EntryStatus(models.TextChoices):
    ACTIVE = "active", "Waiting"
    BOOKED = "booked", "Booked earlier"
    DECLINED = "declined", "Declined for good"
    EXPIRED = "expired", "Window passed"
    REMOVED = "removed", "Removed by staff"


class WaitlistEntry(models.Model):
    """A patient who would take an earlier slot for one dose, within a window of days."""

    patient = models.ForeignKey(
        "patients.Patient", on_delete=models.CASCADE, related_name="waitlist_entries"
    )
    protocol = models.ForeignKey(
        "scheduling.Protocol", on_delete=models.PROTECT, related_name="waitlist_entries"
    )
    dose_number = models.PositiveSmallIntegerField()
    earliest = models.DateField(help_text="First day the patient would come (center-local).")
    latest = models.DateField(help_text="Last day; the entry ends when it passes.")
    windows = models.JSONField(
        default=list,
        blank=True,
        help_text='Availability windows, e.g. [{"weekdays": [0, 2], "start": "08:00", '
        '"end": "12:00", "kind": "available", "strength": "must"}].',
    )
    min_notice_hours = models.PositiveSmallIntegerField(
        default=24, help_text="The shortest notice the patient can take."
    )
    channel = models.CharField(max_length=8, choices=OfferChannel.choices, default=OfferChannel.SMS)
    urgent = models.BooleanField(
        default=False, help_text="Clinically urgent: offered before everyone else."
    )
    due_date = models.DateField(
        null=True, blank=True, help_text="When the dose is due (computed; orders the list)."
    )
    status = models.CharField(
        max_length=10, choices=EntryStatus.choices, default=EntryStatus.ACTIVE
    )
    notes = models.CharField(max_length=300, blank=True)
    ended_at = models.DateTimeField(null=True, blank=True)
    end_reason = models.CharField(max_length=200, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name_plural = "waitlist entries"
        ordering = ["-urgent", "due_date", "created_at", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["patient", "protocol"],
                condition=Q(status="active"),
                name="waitlist_one_active_entry_per_protocol",
            ),
            models.CheckConstraint(
                condition=Q(latest__gte=models.F("earliest")), name="waitlist_window_ordered"
            ),
            models.CheckConstraint(
                condition=Q(min_notice_hours__lte=24 * 30), name="waitlist_notice_le_30_days"
            ),
        ]
        indexes = [models.Index(fields=["status", "earliest"], name="waitlist_status_idx")]

    def __str__(self) -> str:
        return f"{self.patient} waiting for {self.protocol.code} dose {self.dose_number}"

    @property
    def is_active(self) -> bool:
        return self.status == EntryStatus.ACTIVE

    def priority_key(self, today: dt.date) -> tuple:
        """Clinical priority, lower first: urgent; then overdue (most overdue first); then
        closest to the due date; then longest waiting. No known due date sorts after those
        with one, by waiting time."""
        if self.due_date is None:
            return (not self.urgent, 2, 0, self.created_at, self.pk)
        days = (self.due_date - today).days
        if days < 0:
            return (not self.urgent, 0, days, self.created_at, self.pk)
        return (not self.urgent, 1, days, self.created_at, self.pk)


# --- freed chair time ------------------------------------------------------------------------


class FreedStatus(models.TextChoices):
    OPEN = "open", "Open"
    FILLED = "filled", "Filled from the waitlist"
    FILLED_ELSEWHERE = "filled_elsewhere", "Filled another way"
    CLOSED = "closed", "Closed (passed or nobody fits)"


class FreedSlot(models.Model):
    """Chair time that became free ahead of time (a cancel or a move), to offer to the
    waitlist. Written by the booking services in the transaction that freed it."""

    chair = models.ForeignKey("scheduling.Chair", on_delete=models.CASCADE, related_name="+")
    start = models.DateTimeField()
    end = models.DateTimeField(help_text="The chair's release time of the freed session.")
    source_session = models.ForeignKey(
        "scheduling.InfusionSession",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="freed_slots",
    )
    source_patient_id = models.BigIntegerField(null=True, blank=True)
    reason = models.CharField(max_length=40)  # cancelled | moved | remainder
    parent = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="remainders",
        help_text="For a remainder: the freed time a shorter visit filled part of.",
    )
    status = models.CharField(max_length=20, choices=FreedStatus.choices, default=FreedStatus.OPEN)
    filled_session = models.ForeignKey(
        "scheduling.InfusionSession",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    filled_at = models.DateTimeField(null=True, blank=True)
    closed_reason = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    last_matched_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["start", "pk"]
        indexes = [models.Index(fields=["status", "start"], name="freed_status_start_idx")]
        constraints = [
            models.CheckConstraint(condition=Q(end__gt=models.F("start")), name="freed_ordered")
        ]

    def __str__(self) -> str:
        return f"{self.chair} {self.start:%Y-%m-%d %H:%M} ({self.status})"

    @property
    def hours(self) -> float:
        return (self.end - self.start).total_seconds() / 3600


# --- offers ----------------------------------------------------------------------------------


class OfferStatus(models.TextChoices):
    OFFERED = "offered", "Offered"
    ACCEPTED = "accepted", "Accepted"
    DECLINED = "declined", "Declined"
    EXPIRED = "expired", "Hold expired"
    TAKEN = "taken", "Taken by another patient"
    WITHDRAWN = "withdrawn", "Withdrawn"


LIVE_OFFER = OfferStatus.OFFERED


class Offer(models.Model):
    """Freed chair time offered to one waitlisted patient, held until `hold_until`."""

    freed = models.ForeignKey(FreedSlot, on_delete=models.CASCADE, related_name="offers")
    entry = models.ForeignKey(WaitlistEntry, on_delete=models.CASCADE, related_name="offers")
    patient = models.ForeignKey("patients.Patient", on_delete=models.CASCADE, related_name="+")
    session = models.ForeignKey(
        "scheduling.InfusionSession",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="The patient's later booking this offer would move (null: a new booking).",
    )
    start = models.DateTimeField()
    chair = models.ForeignKey("scheduling.Chair", on_delete=models.CASCADE, related_name="+")
    nurse = models.ForeignKey(
        "scheduling.Nurse", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    channel = models.CharField(max_length=8, choices=OfferChannel.choices)
    hold_until = models.DateTimeField()
    status = models.CharField(
        max_length=10, choices=OfferStatus.choices, default=OfferStatus.OFFERED
    )
    rank = models.PositiveSmallIntegerField(default=1, help_text="Place in the priority order.")
    override_reason = models.CharField(
        max_length=200,
        blank=True,
        help_text="Recorded on the booking when an overdue dose lands past its window.",
    )
    booked_session = models.ForeignKey(
        "scheduling.InfusionSession",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    responded_at = models.DateTimeField(null=True, blank=True)
    responded_via = models.CharField(max_length=40, blank=True)  # link | sms | staff | api
    outcome_note = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [
            models.Index(fields=["status", "hold_until"], name="offer_status_hold_idx"),
            models.Index(fields=["patient", "status"], name="offer_patient_status_idx"),
        ]
        constraints = [
            # At most one accepted offer per freed slot: the last line behind the row locks.
            models.UniqueConstraint(
                fields=["freed"], condition=Q(status="accepted"), name="offer_one_winner"
            ),
            models.UniqueConstraint(fields=["freed", "entry"], name="offer_once_per_entry"),
        ]

    def __str__(self) -> str:
        return f"Offer {self.pk} to {self.patient_id} ({self.status})"


# --- the offer outbox ------------------------------------------------------------------------


class MessageKind(models.TextChoices):
    OFFER = "offer", "Offer"
    TAKEN = "taken", "Taken by someone else"


class MessageStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    SENT = "sent", "Sent"
    SKIPPED = "skipped", "Skipped"
    FAILED = "failed", "Failed"


class OfferMessage(models.Model):
    """A text or email about an offer, written in the transaction that made the offer (or
    took it) and sent by the waitlist dispatcher: the same outbox idea as reminders."""

    offer = models.ForeignKey(Offer, on_delete=models.CASCADE, related_name="messages")
    kind = models.CharField(max_length=8, choices=MessageKind.choices)
    channel = models.CharField(max_length=8)  # sms | email
    status = models.CharField(
        max_length=8, choices=MessageStatus.choices, default=MessageStatus.PENDING
    )
    attempts = models.PositiveSmallIntegerField(default=0)
    sent_at = models.DateTimeField(null=True, blank=True)
    provider_message_id = models.CharField(max_length=200, blank=True)
    skip_reason = models.CharField(max_length=200, blank=True)
    last_error = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "pk"]
        indexes = [models.Index(fields=["status", "created_at"], name="offermsg_status_idx")]

    def __str__(self) -> str:
        return f"{self.kind} {self.channel} for offer {self.offer_id} ({self.status})"


# --- audit -----------------------------------------------------------------------------------


class WaitlistEvent(models.Model):
    """The audit trail of the waitlist: entries added, edited, ended; offers made and answered."""

    entry = models.ForeignKey(
        WaitlistEntry, null=True, blank=True, on_delete=models.SET_NULL, related_name="events"
    )
    offer = models.ForeignKey(
        Offer, null=True, blank=True, on_delete=models.SET_NULL, related_name="events"
    )
    action = models.CharField(max_length=40)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    actor_label = models.CharField(max_length=120, blank=True)
    at = models.DateTimeField(auto_now_add=True)
    before = models.JSONField(null=True, blank=True)
    after = models.JSONField(null=True, blank=True)

    class Meta:
        ordering = ["-at", "-pk"]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.actor or self.actor_label} {self.action}"
