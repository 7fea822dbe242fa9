"""Patients, their treatments and lab results in admin.

Health data: list pages show only what the front desk needs to find a patient. Opt-outs are
shown but not editable: a patient who texted STOP must opt back in themselves.
"""

from __future__ import annotations

from django import forms
from django.contrib import admin

from patients.models import LabResult, LabStatus, Patient, PatientProtocol, normalize_mobile


class PatientForm(forms.ModelForm):
    """Model and fields come from the ModelAdmin (modelform_factory)."""

    def clean_mobile(self):
        # Staff type numbers as they hear them; store E.164 (the model validator wants that form).
        return normalize_mobile(self.cleaned_data.get("mobile", ""))


class LabResultForm(forms.ModelForm):
    """Model and fields come from the ModelAdmin (modelform_factory)."""

    def clean(self):
        cleaned = super().clean()
        status, collected, resulted = (
            cleaned.get("status"),
            cleaned.get("collected_on"),
            cleaned.get("resulted_on"),
        )
        if status == LabStatus.RESULTED and resulted is None and "resulted_on" not in self.errors:
            self.add_error("resulted_on", "A resulted lab needs the date it was resulted.")
        if collected and resulted and resulted < collected:
            self.add_error("resulted_on", "The result date cannot be before the collection date.")
        return cleaned


class PatientProtocolInline(admin.TabularInline):
    model = PatientProtocol
    extra = 0
    fields = [
        "protocol",
        "active",
        "started_on",
        "shorter_infusion_eligible",
        "rems_authorized_until",
        "doses_before_center",
        "notes",
    ]


class LabResultInline(admin.TabularInline):
    model = LabResult
    form = LabResultForm
    extra = 0
    fields = ["lab_test", "collected_on", "status", "resulted_on", "value", "flag", "source"]
    autocomplete_fields = ["lab_test"]
    ordering = ["-collected_on"]


@admin.register(Patient)
class PatientAdmin(admin.ModelAdmin):
    form = PatientForm
    inlines = [PatientProtocolInline, LabResultInline]
    list_display = [
        "mrn",
        "last_name",
        "first_name",
        "date_of_birth",
        "preferred_channel",
        "can_text",
        "can_email",
    ]
    list_filter = ["preferred_channel", "sms_consent", "email_consent", "language"]
    search_fields = ["mrn", "last_name", "first_name", "email", "mobile"]
    # When/how consent was recorded is set by the contact services, shown here read-only.
    readonly_fields = [
        "sms_opted_out_at",
        "created_at",
        "email_consent_at",
        "sms_consent_at",
        "consent_source",
    ]
    fieldsets = [
        (None, {"fields": ["mrn", ("first_name", "last_name"), "date_of_birth"]}),
        (
            "Contact",
            {
                "fields": [
                    "email",
                    "mobile",
                    "preferred_channel",
                    ("email_consent", "sms_consent"),
                    ("email_consent_at", "sms_consent_at", "consent_source"),
                    "email_opted_out",
                    "sms_opted_out_at",
                    "time_zone",
                    "language",
                    "preferred_minute",
                    "short_notice_ok",
                ]
            },
        ),
        ("Clinical", {"fields": ["body_surface_area", "notes"]}),
        ("Record", {"fields": ["created_at"]}),
    ]

    @admin.display(boolean=True, description="may text")
    def can_text(self, obj):
        return obj.can_text

    @admin.display(boolean=True, description="may email")
    def can_email(self, obj):
        return obj.can_email


@admin.register(PatientProtocol)
class PatientProtocolAdmin(admin.ModelAdmin):
    list_display = [
        "patient",
        "protocol",
        "active",
        "started_on",
        "rems_authorized_until",
        "shorter_infusion_eligible",
    ]
    list_filter = ["active", "protocol", "shorter_infusion_eligible"]
    search_fields = ["patient__mrn", "patient__last_name", "protocol__code", "protocol__brand_name"]
    autocomplete_fields = ["patient", "protocol"]
    list_select_related = ["patient", "protocol"]


@admin.register(LabResult)
class LabResultAdmin(admin.ModelAdmin):
    form = LabResultForm
    list_display = [
        "patient",
        "lab_test",
        "collected_on",
        "status",
        "resulted_on",
        "flag",
        "source",
    ]
    list_filter = ["status", "flag", "lab_test"]
    search_fields = ["patient__mrn", "patient__last_name", "lab_test__name", "lab_test__code"]
    date_hierarchy = "collected_on"
    autocomplete_fields = ["patient", "lab_test"]
    list_select_related = ["patient", "lab_test"]
