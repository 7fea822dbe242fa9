"""Forms of the staff pages: they parse and validate query strings and posts, so a view never
sees raw input and bad input becomes a message next to its field, never a 500."""

from __future__ import annotations

import datetime as dt

from django import forms
from django.utils import timezone

from patients.models import ConsentSource, Patient, PreferredChannel
from scheduling.models import Chair, InfusionOption, Nurse, Protocol
from scheduling.world import center_tz

MAX_SEARCH_DAYS = 42


def center_today() -> dt.date:
    return timezone.now().astimezone(center_tz()).date()


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, **kw):
        super().__init__(format="%Y-%m-%d", **kw)


class DayForm(forms.Form):
    """?date=YYYY-MM-DD for the board and the roster; today when absent or invalid."""

    date = forms.DateField(required=False, widget=DateInput())

    def day(self) -> dt.date:
        if self.is_valid() and self.cleaned_data.get("date"):
            return self.cleaned_data["date"]
        return center_today()


class RosterForm(DayForm):
    nurse = forms.ModelChoiceField(
        queryset=Nurse.objects.filter(active=True), required=False, empty_label="All nurses"
    )


class PatientSearchForm(forms.Form):
    q = forms.CharField(label="Name or MRN", max_length=80, required=False)


class PatientForm(forms.ModelForm):
    """A new patient at the front desk: the minimum to book and to send reminders."""

    class Meta:
        model = Patient
        fields = [
            "mrn",
            "first_name",
            "last_name",
            "date_of_birth",
            "email",
            "mobile",
            "preferred_channel",
            "email_consent",
            "sms_consent",
            "short_notice_ok",
        ]
        widgets = {"date_of_birth": DateInput()}
        help_texts = {"mobile": "E.164 or a US number, e.g. +16175550123 or (617) 555-0123."}

    preferred_time = forms.TimeField(
        label="Preferred start time",
        required=False,
        widget=forms.TimeInput(attrs={"type": "time", "step": 900}),
        help_text="The time the patient would most like to arrive, if any.",
    )

    consent_source = forms.ChoiceField(
        label="Consent given",
        choices=ConsentSource.choices,
        required=False,
        initial=ConsentSource.IN_PERSON,
        help_text="How the patient agreed to reminders (only if a consent box is ticked).",
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        m = self.instance.preferred_minute if self.instance.pk else None
        if m is not None:
            self.initial.setdefault("preferred_time", dt.time(m // 60, m % 60))
        if not self.instance.pk:
            # Consent is asked, never assumed: both boxes start unticked.
            self.initial["email_consent"] = False
            self.initial["sms_consent"] = False

    def clean(self):
        from patients.services import consent_stamp

        data = super().clean()
        t = data.get("preferred_time")
        self.instance.preferred_minute = None if t is None else t.hour * 60 + t.minute
        given = {f: True for f in ("email_consent", "sms_consent") if data.get(f)}
        # Registered at the desk: "in person" unless the desk says otherwise.
        consent_stamp(
            self.instance, given, source=data.get("consent_source") or ConsentSource.IN_PERSON
        )
        return data

    def clean_mobile(self):
        from patients.models import normalize_mobile

        try:
            return normalize_mobile(self.cleaned_data.get("mobile", ""))
        except forms.ValidationError:
            raise
        except Exception as exc:  # phonenumbers' own errors become a field message
            raise forms.ValidationError("Enter a valid mobile number.") from exc

    def clean_date_of_birth(self):
        dob = self.cleaned_data["date_of_birth"]
        if dob > center_today():
            raise forms.ValidationError("The date of birth is in the future.")
        if dob.year < 1900:
            raise forms.ValidationError("Check the year of birth.")
        return dob


class ContactForm(forms.Form):
    """The front desk's edit of a patient's contact details; update_contact validates again."""

    email = forms.EmailField(required=False, max_length=254)
    mobile = forms.CharField(
        required=False,
        max_length=32,
        help_text="E.164 or a US number, e.g. +16175550123 or (617) 555-0123.",
    )
    preferred_channel = forms.ChoiceField(choices=PreferredChannel.choices)
    language = forms.CharField(max_length=8, help_text="A code such as en or es.")
    time_zone = forms.CharField(max_length=64)
    email_consent = forms.BooleanField(required=False, label="Consents to email reminders")
    sms_consent = forms.BooleanField(required=False, label="Consents to text reminders")
    consent_source = forms.ChoiceField(
        label="Consent given or withdrawn",
        choices=[("", "—")] + list(ConsentSource.choices),
        required=False,
        help_text="Needed when a consent box changes.",
    )

    @classmethod
    def for_patient(cls, patient, data=None):
        from patients.services import CONTACT_FIELDS

        return cls(data, initial={f: getattr(patient, f) for f in CONTACT_FIELDS})


class SearchDatesForm(forms.Form):
    """A search window: from today on, end not before start, at most MAX_SEARCH_DAYS long."""

    date_from = forms.DateField(label="From", widget=DateInput())
    date_to = forms.DateField(label="To", widget=DateInput())

    def clean(self):
        data = super().clean()
        start, end = data.get("date_from"), data.get("date_to")
        if start and end:
            if end < start:
                self.add_error("date_to", "The end date is before the start date.")
            elif (end - start).days >= MAX_SEARCH_DAYS:
                self.add_error("date_to", f"Search at most {MAX_SEARCH_DAYS} days at a time.")
            if start < center_today():
                self.add_error("date_from", "Search from today or later.")
        return data


class ChosenSlotFields(forms.Form):
    """The option a coordinator clicked: its start and, for one dose, its chair and nurse."""

    start = forms.CharField(widget=forms.HiddenInput)
    chair = forms.ModelChoiceField(
        queryset=Chair.objects.filter(active=True), required=False, widget=forms.HiddenInput
    )
    nurse = forms.ModelChoiceField(
        queryset=Nurse.objects.filter(active=True), required=False, widget=forms.HiddenInput
    )

    def clean_start(self):
        return parse_aware(self.cleaned_data["start"])


class SlotSearchForm(SearchDatesForm):
    """Which dose to place and where to look: the find-and-book search."""

    patient = forms.ModelChoiceField(queryset=Patient.objects.all(), widget=forms.HiddenInput)
    protocol = forms.ModelChoiceField(
        queryset=Protocol.objects.filter(active=True, is_infusion=True),
        to_field_name="code",
        empty_label="Choose a protocol",
    )
    dose_number = forms.IntegerField(label="Dose number", min_value=1, max_value=99)
    series = forms.BooleanField(
        label="Book the whole series in one step (e.g. day 0 + day 14)", required=False
    )
    option = forms.ChoiceField(
        label="Infusion option",
        choices=InfusionOption.choices,
        initial=InfusionOption.STANDARD,
        required=False,
    )
    override_reason = forms.CharField(
        label="Override reason (only to book outside the dose window)",
        max_length=500,
        required=False,
    )
    field_order = [
        "patient",
        "protocol",
        "dose_number",
        "series",
        "option",
        "date_from",
        "date_to",
        "override_reason",
    ]

    def clean(self):
        data = super().clean()
        if not data.get("option"):
            data["option"] = InfusionOption.STANDARD
        return data


class BookForm(ChosenSlotFields, SlotSearchForm):
    """One chosen option: the search plus the slot's start and, for one dose, chair and nurse."""

    lab_acknowledgement = forms.CharField(
        label="Labs cannot be in time: why book anyway?", max_length=300, required=False
    )


def parse_aware(raw: str) -> dt.datetime:
    """An ISO 8601 datetime with its offset, as the slot buttons send it."""
    try:
        value = dt.datetime.fromisoformat((raw or "").strip())
    except ValueError as exc:
        raise forms.ValidationError("Choose a time from the list.") from exc
    if value.tzinfo is None:
        raise forms.ValidationError("Choose a time from the list.")
    return value


class CancelForm(forms.Form):
    reason = forms.CharField(
        label="Reason for cancelling",
        max_length=500,
        widget=forms.TextInput(attrs={"placeholder": "e.g. patient unwell, rescheduling by phone"}),
    )


class RescheduleSearchForm(SearchDatesForm):
    """Where to look for a new time for a booked session."""


class MoveForm(ChosenSlotFields, RescheduleSearchForm):
    override_reason = forms.CharField(label="Override reason", max_length=500, required=False)
    move_series = forms.BooleanField(label="Move the later doses with it", required=False)


class UtilizationForm(forms.Form):
    date_from = forms.DateField(label="From", required=False, widget=DateInput())
    date_to = forms.DateField(label="To", required=False, widget=DateInput())

    def clean(self):
        data = super().clean()
        start, end = data.get("date_from"), data.get("date_to")
        if start and end:
            if end < start:
                self.add_error("date_to", "The end date is before the start date.")
            elif (end - start).days >= 62:
                self.add_error("date_to", "Show at most 62 days at a time.")
        return data

    def span(self) -> tuple[dt.date, dt.date]:
        """The chosen span, or this week Monday to Friday (to Saturday when the center opens
        on Saturdays)."""
        from scheduling.models import OpeningHours

        today = center_today()
        monday = today - dt.timedelta(days=today.weekday())
        week = 5 if OpeningHours.objects.filter(weekday=5).exists() else 4
        default = (monday, monday + dt.timedelta(days=week))
        if not self.is_valid():
            return default
        start, end = self.cleaned_data.get("date_from"), self.cleaned_data.get("date_to")
        if start and end:
            return start, end
        if start:
            return start, start + dt.timedelta(days=week)
        return default
