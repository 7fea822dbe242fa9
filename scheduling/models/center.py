"""The center: its settings, opening hours and closures."""

from __future__ import annotations

import contextvars
import datetime as dt
import functools
import re

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


# Words the patient-facing name must not carry (the diagnosis in "Riverside MS Infusion").
DIAGNOSIS_IN_NAME = re.compile(
    r"\b(MS|multiple sclerosis|neurology|neurological|neuro|neuroimmunology)\b", re.IGNORECASE
)


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
    # Planning (issue 11): the weekly template, fit-me-in and the due-pipeline planner.
    template_release_hours = models.PositiveSmallIntegerField(
        default=72,
        help_text="Until this many hours before a day opens, the long-infusion morning starts "
        "the published template keeps are protected; after that anyone may take them.",
    )
    template_protect_until = models.TimeField(
        default=dt.time(12, 0),
        help_text="Template starts of long infusions before this local time are protected.",
    )
    fitmein_max_shift_minutes = models.PositiveSmallIntegerField(
        default=30,
        help_text="Fit-me-in may move an unconfirmed session by at most this many minutes, "
        "and only when the coordinator allows it.",
    )
    planner_horizon_days = models.PositiveSmallIntegerField(
        default=21, help_text="How far ahead the due-pipeline planner looks by default."
    )
    planner_time_limit_seconds = models.PositiveSmallIntegerField(
        default=30, help_text="The planner returns the best plan found in this time."
    )
    check_in_opens_minutes = models.PositiveSmallIntegerField(
        default=180,
        help_text="How long before the start, on the session's day, a patient can be checked in.",
    )
    no_show_grace_minutes = models.PositiveSmallIntegerField(
        default=30,
        help_text="How long after the start a patient who has not arrived can be marked no-show.",
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
            models.CheckConstraint(
                condition=Q(fitmein_max_shift_minutes__lte=240), name="center_fitmein_shift_le_240"
            ),
            models.CheckConstraint(
                condition=Q(planner_time_limit_seconds__gte=1)
                & Q(planner_time_limit_seconds__lte=600),
                name="center_planner_limit_range",
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

    @property
    def patient_facing_name(self) -> str:
        """The name patients see on link pages, emails and texts: PATIENT_FACING_CENTER_NAME, or
        the center's name without diagnosis words ("Riverside MS Infusion Center" ->
        "Riverside Infusion Center"). Whoever holds the phone or the URL reads it."""
        if settings.PATIENT_FACING_CENTER_NAME:
            return settings.PATIENT_FACING_CENTER_NAME
        name = DIAGNOSIS_IN_NAME.sub("", self.name)
        return re.sub(r"\s+", " ", name).strip() or "Your clinic"

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
