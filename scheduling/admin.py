"""The nurse manager's back office: chairs, nurses, hours, closures and the drug catalogue.

Bookings are not edited here. Every booking change must go through the booking services so
that the rules are re-checked and the audit row and reminders are written in the same
transaction; admin therefore shows sessions, reminders and the audit trail read-only.

Database CheckConstraints would only name themselves on bad input, so the forms below repeat
the ones a manager can trip over with a message that names the field.
"""

from __future__ import annotations

import json
import re

from django import forms
from django.contrib import admin, messages
from django.utils.html import format_html

from scheduling.models import (
    AuditEvent,
    CenterSettings,
    Chair,
    Closure,
    DoseRule,
    InfusionSession,
    LabRequirement,
    LabTest,
    Nurse,
    NurseShift,
    NurseTimeOff,
    OpeningHours,
    Protocol,
    Reminder,
    Series,
)

WORD = re.compile(r"^[a-z0-9_]+$")


class WordListField(forms.CharField):
    """A JSON list of words edited as comma-separated text: "near_station, isolation"."""

    def prepare_value(self, value):
        if isinstance(value, str) and value.startswith("["):
            try:
                value = json.loads(value)
            except ValueError:
                return value
        if isinstance(value, list | tuple):
            return ", ".join(value)
        return value

    def to_python(self, value):
        text = super().to_python(value) or ""
        words = [w.strip().lower().replace(" ", "_").replace("-", "_") for w in text.split(",")]
        words = [w for w in words if w]
        bad = [w for w in words if not WORD.match(w)]
        if bad:
            raise forms.ValidationError(
                f"Use letters, digits and underscores only, separated by commas (not {', '.join(bad)})."
            )
        return list(dict.fromkeys(words))


def _ordered(form, first: str, second: str, message: str, *, allow_equal: bool = False) -> None:
    a, b = form.cleaned_data.get(first), form.cleaned_data.get(second)
    if a is not None and b is not None and (b < a or (b == a and not allow_equal)):
        form.add_error(second, message)


# --- Center --------------------------------------------------------------------------------


@admin.register(CenterSettings)
class CenterSettingsAdmin(admin.ModelAdmin):
    list_display = ["name", "time_zone", "turnover_minutes", "stagger_minutes", "slot_step_minutes"]
    fieldsets = [
        (None, {"fields": ["name", "address", "phone", "time_zone"]}),
        (
            "Chairs and nurses",
            {"fields": ["turnover_minutes", "stagger_minutes", "slot_step_minutes"]},
        ),
        (
            "Reminders",
            {
                "fields": [
                    "lab_checklist_days_before",
                    "prep_reminder_days_before",
                    "day_before_sms",
                    "day_before_hour",
                    "quiet_hours_start",
                    "quiet_hours_end",
                    "max_automated_sms_per_day",
                ]
            },
        ),
        ("Labs", {"fields": ["each_dose_lab_max_age_days"]}),
        ("Contacts", {"fields": ["charge_nurse_email", "front_desk_email"]}),
    ]

    def has_add_permission(self, request):
        # One row only: the center's settings.
        return super().has_add_permission(request) and not CenterSettings.objects.exists()

    def has_delete_permission(self, request, obj=None):
        return False


class OpeningHoursForm(forms.ModelForm):
    """Model and fields come from the ModelAdmin (modelform_factory)."""

    def clean(self):
        cleaned = super().clean()
        _ordered(self, "opens", "closes", "Closing time must be after opening time.")
        return cleaned


@admin.register(OpeningHours)
class OpeningHoursAdmin(admin.ModelAdmin):
    form = OpeningHoursForm
    list_display = ["weekday", "opens", "closes"]
    ordering = ["weekday"]


@admin.register(Closure)
class ClosureAdmin(admin.ModelAdmin):
    list_display = ["date", "reason"]
    search_fields = ["reason"]
    date_hierarchy = "date"


# --- Chairs and nurses ---------------------------------------------------------------------


class ChairForm(forms.ModelForm):
    features = WordListField(
        required=False, help_text="Comma-separated, e.g. near_station, isolation"
    )

    """Model and fields come from the ModelAdmin (modelform_factory)."""


@admin.register(Chair)
class ChairAdmin(admin.ModelAdmin):
    form = ChairForm
    list_display = ["name", "area", "kind", "feature_list", "active", "display_order"]
    list_editable = ["active", "display_order"]
    list_filter = ["active", "kind", "area"]
    search_fields = ["name", "area"]
    actions = ["deactivate", "activate"]

    @admin.display(description="features")
    def feature_list(self, obj):
        return ", ".join(obj.features or []) or "—"

    @admin.action(description="Take selected chairs out of service")
    def deactivate(self, request, queryset):
        n = queryset.update(active=False)
        self.message_user(
            request,
            f"{n} chair(s) taken out of service. Existing bookings on them are kept: move them "
            "from the board.",
            messages.WARNING,
        )

    @admin.action(description="Put selected chairs back in service")
    def activate(self, request, queryset):
        n = queryset.update(active=True)
        self.message_user(request, f"{n} chair(s) back in service.", messages.SUCCESS)


class NurseShiftForm(forms.ModelForm):
    """Model and fields come from the ModelAdmin (modelform_factory)."""

    def clean(self):
        cleaned = super().clean()
        _ordered(self, "start", "end", "The shift must end after it starts.")
        return cleaned


class NurseTimeOffForm(forms.ModelForm):
    """Model and fields come from the ModelAdmin (modelform_factory)."""

    def clean(self):
        cleaned = super().clean()
        _ordered(
            self,
            "start_date",
            "end_date",
            "The last day off cannot be before the first.",
            allow_equal=True,
        )
        return cleaned


class NurseShiftInline(admin.TabularInline):
    model = NurseShift
    form = NurseShiftForm
    extra = 0


class NurseTimeOffInline(admin.TabularInline):
    model = NurseTimeOff
    form = NurseTimeOffForm
    extra = 0


class NurseForm(forms.ModelForm):
    skills = WordListField(
        required=False, help_text="Comma-separated, e.g. chemo, rems_natalizumab"
    )

    """Model and fields come from the ModelAdmin (modelform_factory)."""


@admin.register(Nurse)
class NurseAdmin(admin.ModelAdmin):
    form = NurseForm
    inlines = [NurseShiftInline, NurseTimeOffInline]
    list_display = ["name", "skill_list", "max_concurrent_patients", "is_charge_nurse", "active"]
    list_filter = ["active", "is_charge_nurse"]
    search_fields = ["name", "email"]
    actions = ["deactivate"]

    @admin.display(description="skills")
    def skill_list(self, obj):
        return ", ".join(obj.skills or []) or "—"

    @admin.action(description="Mark selected nurses inactive")
    def deactivate(self, request, queryset):
        n = queryset.update(active=False)
        self.message_user(request, f"{n} nurse(s) marked inactive.", messages.SUCCESS)


# --- Protocol catalogue --------------------------------------------------------------------


class DoseRuleForm(forms.ModelForm):
    """Model and fields come from the ModelAdmin (modelform_factory)."""

    def clean(self):
        cleaned = super().clean()
        get = cleaned.get
        if (
            get("to_dose") is not None
            and get("from_dose") is not None
            and get("to_dose") < get("from_dose")
        ):
            self.add_error("to_dose", "The last dose cannot be before the first dose of the rule.")
        if get("infusion_minutes") is not None and get("infusion_minutes") <= 0:
            self.add_error("infusion_minutes", "Infusion minutes must be more than 0.")
        interval, minimum = get("interval_days"), get("min_interval_days")
        if interval is not None and minimum is not None and minimum > interval:
            self.add_error(
                "min_interval_days",
                "The minimum interval cannot be longer than the target interval.",
            )
        if get("joins_series") and interval is None:
            self.add_error(
                "interval_days", "A dose booked with the one before it needs its interval in days."
            )
        if (get("premed_lead_minutes") or 0) > 0 and not get("premed_items"):
            self.add_error("premed_items", "Say what premedication is given before the infusion.")
        return cleaned


class DoseRuleInline(admin.StackedInline):
    model = DoseRule
    form = DoseRuleForm
    extra = 0
    classes = ["collapse"]
    fieldsets = [
        (
            None,
            {"fields": [("from_dose", "to_dose", "option", "optional"), "label", "dose_amount"]},
        ),
        (
            "Chair time",
            {
                "fields": [
                    ("premed_lead_minutes", "infusion_minutes", "observation_minutes"),
                    "premed_items",
                ]
            },
        ),
        (
            "Spacing",
            {
                "fields": [
                    ("interval_days", "interval_anchor", "min_interval_days"),
                    ("window_early_days", "window_late_days", "joins_series"),
                ]
            },
        ),
        ("Source", {"fields": ["confidence", "notes"]}),
    ]


class LabRequirementInline(admin.TabularInline):
    model = LabRequirement
    extra = 0
    fields = ["lab_test", "gate", "max_age_days", "confidence", "notes"]
    autocomplete_fields = ["lab_test"]


@admin.register(Protocol)
class ProtocolAdmin(admin.ModelAdmin):
    inlines = [DoseRuleInline, LabRequirementInline]
    list_display = [
        "brand_name",
        "generic_name",
        "code",
        "is_infusion",
        "rems_program",
        "required_skill",
        "required_chair_kind",
        "billing_code",
        "active",
    ]
    list_filter = ["active", "is_infusion", "required_chair_kind", "required_skill"]
    search_fields = ["code", "brand_name", "generic_name", "billing_code"]
    actions = ["deactivate", "activate"]
    fieldsets = [
        (
            None,
            {"fields": ["code", "brand_name", "generic_name", "route", "is_infusion", "active"]},
        ),
        (
            "Who and where",
            {"fields": ["required_skill", "required_chair_kind", "rems_program", "rems_checks"]},
        ),
        ("Dose", {"fields": ["dose_unit", "lifetime_cap", "series_label"]}),
        (
            "Billing",
            {
                "fields": [
                    "billing_code",
                    "billing_descriptor",
                    "billing_unit_amount",
                    "admin_cpt_codes",
                    "admin_code_family",
                    "needs_authorization",
                ]
            },
        ),
        ("Patient messages", {"fields": ["premed_causes_drowsiness", "prep_advice"]}),
        ("Sources", {"fields": ["confidence", "notes"], "classes": ["collapse"]}),
    ]

    def get_readonly_fields(self, request, obj=None):
        # The code is the catalogue's and the API's key for the protocol: fixed once saved.
        return ["code"] if obj is not None else []

    @admin.action(description="Stop offering selected protocols for new bookings")
    def deactivate(self, request, queryset):
        n = queryset.update(active=False)
        self.message_user(request, f"{n} protocol(s) deactivated.", messages.SUCCESS)

    @admin.action(description="Offer selected protocols again")
    def activate(self, request, queryset):
        n = queryset.update(active=True)
        self.message_user(request, f"{n} protocol(s) activated.", messages.SUCCESS)


@admin.register(DoseRule)
class DoseRuleAdmin(admin.ModelAdmin):
    form = DoseRuleForm
    list_display = [
        "protocol",
        "dose_span",
        "option",
        "premed_lead_minutes",
        "infusion_minutes",
        "observation_minutes",
        "chair_minutes",
        "interval_days",
        "interval_anchor",
        "min_interval_days",
        "joins_series",
        "optional",
        "confidence",
    ]
    list_filter = ["protocol", "option", "joins_series", "confidence"]
    search_fields = ["protocol__code", "protocol__brand_name", "label"]
    readonly_fields = ["chair_minutes"]
    list_select_related = ["protocol"]

    @admin.display(description="doses")
    def dose_span(self, obj):
        if obj.to_dose is None:
            return f"{obj.from_dose}+"
        return (
            str(obj.from_dose) if obj.to_dose == obj.from_dose else f"{obj.from_dose}–{obj.to_dose}"
        )

    @admin.display(description="chair minutes (before turnover)")
    def chair_minutes(self, obj):
        return obj.chair_minutes if obj.pk else "—"


@admin.register(LabTest)
class LabTestAdmin(admin.ModelAdmin):
    list_display = ["name", "code"]
    search_fields = ["name", "code"]


@admin.register(LabRequirement)
class LabRequirementAdmin(admin.ModelAdmin):
    list_display = ["protocol", "lab_test", "gate", "max_age_days", "confidence"]
    list_filter = ["gate", "confidence", "protocol"]
    search_fields = ["protocol__code", "protocol__brand_name", "lab_test__name", "lab_test__code"]
    autocomplete_fields = ["lab_test"]
    list_select_related = ["protocol", "lab_test"]


# --- Bookings: read-only here ----------------------------------------------------------------


class ReadOnlyAdmin(admin.ModelAdmin):
    """Visible to whoever may view it; changed only by the services that own it."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class SessionInline(admin.TabularInline):
    model = InfusionSession
    fields = ["dose_number", "start", "chair", "nurse", "status"]
    readonly_fields = fields
    extra = 0
    can_delete = False
    show_change_link = True

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Series)
class SeriesAdmin(ReadOnlyAdmin):
    list_display = ["id", "patient", "protocol", "created_at", "created_by"]
    list_filter = ["protocol"]
    search_fields = ["patient__mrn", "patient__last_name"]
    inlines = [SessionInline]
    list_select_related = ["patient", "protocol", "created_by"]


@admin.register(InfusionSession)
class InfusionSessionAdmin(ReadOnlyAdmin):
    list_display = [
        "start",
        "patient",
        "protocol",
        "dose_number",
        "chair",
        "nurse",
        "status",
        "chair_release_at",
        "chair_minutes",
    ]
    list_filter = ["status", "protocol", "chair", "nurse"]
    search_fields = ["patient__mrn", "patient__last_name", "patient__first_name"]
    date_hierarchy = "start"
    list_select_related = ["patient", "protocol", "chair", "nurse"]
    readonly_fields = [
        "premed_start",
        "infusion_start",
        "infusion_end",
        "observation_end",
        "chair_release_at",
        "chair_minutes",
        "created_at",
        "updated_at",
    ]
    fieldsets = [
        (None, {"fields": ["patient", "protocol", "dose_number", "option", "series", "status"]}),
        ("Where and who", {"fields": ["chair", "nurse"]}),
        (
            "Phases",
            {
                "fields": [
                    "start",
                    "premed_start",
                    "infusion_start",
                    "infusion_end",
                    "observation_end",
                    "chair_release_at",
                    "chair_minutes",
                ]
            },
        ),
        (
            "Checks and reasons",
            {
                "fields": [
                    "override_reason",
                    "cancel_reason",
                    "rems_checked_at",
                    "rems_checked_by",
                ]
            },
        ),
        (
            "History",
            {
                "fields": [
                    "confirmed_at",
                    "checked_in_at",
                    "started_at",
                    "completed_at",
                    "created_at",
                    "created_by",
                    "updated_at",
                ]
            },
        ),
    ]

    @admin.display(description="chair minutes")
    def chair_minutes(self, obj):
        """Minutes the chair is taken, turnover included."""
        if obj.start is None or obj.chair_release_at is None:
            return "—"
        return int((obj.chair_release_at - obj.start).total_seconds() // 60)


@admin.register(Reminder)
class ReminderAdmin(ReadOnlyAdmin):
    list_display = [
        "due_at",
        "session",
        "kind",
        "channel",
        "status",
        "attempts",
        "sent_at",
        "short_error",
    ]
    list_filter = ["status", "kind", "channel"]
    search_fields = ["session__patient__mrn", "session__patient__last_name", "provider_message_id"]
    date_hierarchy = "due_at"
    list_select_related = ["session__patient", "session__protocol"]

    @admin.display(description="last error")
    def short_error(self, obj):
        return (obj.last_error[:80] + "…") if len(obj.last_error) > 80 else obj.last_error


@admin.register(AuditEvent)
class AuditEventAdmin(ReadOnlyAdmin):
    list_display = ["at", "action", "who", "session", "reason"]
    list_filter = ["action"]
    search_fields = ["action", "actor_label", "actor__username", "session__patient__mrn", "reason"]
    date_hierarchy = "at"
    list_select_related = ["actor", "session__patient", "session__protocol"]
    fields = [
        "at",
        "action",
        "actor",
        "actor_label",
        "session",
        "series",
        "reason",
        "before_json",
        "after_json",
    ]
    readonly_fields = ["at", "before_json", "after_json"]

    @admin.display(description="who")
    def who(self, obj):
        return obj.actor or obj.actor_label or "system"

    def _json(self, value):
        return format_html(
            "<pre>{}</pre>", json.dumps(value, indent=2, sort_keys=True, default=str)
        )

    @admin.display(description="before")
    def before_json(self, obj):
        return self._json(obj.before)

    @admin.display(description="after")
    def after_json(self, obj):
        return self._json(obj.after)
