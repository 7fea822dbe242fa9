"""Chairs and nurses with their shifts and time off."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import F, Q

from scheduling.models.center import (
    Weekday,
)

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
