"""The front desk's waitlist form."""

from __future__ import annotations

import datetime as dt

from django import forms

from patients.models import Patient
from scheduling.models import Protocol
from waitlist.models import OfferChannel


class EntryForm(forms.Form):
    mrn = forms.CharField(label="Patient MRN", max_length=32)
    protocol = forms.ModelChoiceField(
        queryset=Protocol.objects.order_by("brand_name"), to_field_name="code"
    )
    dose_number = forms.IntegerField(min_value=1, max_value=500)
    earliest = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}))
    latest = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}))
    min_notice_hours = forms.IntegerField(
        label="Shortest notice (hours)", min_value=0, max_value=720, initial=24
    )
    channel = forms.ChoiceField(label="How to offer", choices=OfferChannel.choices)
    urgent = forms.BooleanField(label="Clinically urgent", required=False)
    notes = forms.CharField(max_length=300, required=False)

    def clean_mrn(self):
        mrn = self.cleaned_data["mrn"].strip()
        patient = Patient.objects.filter(mrn=mrn).first()
        if patient is None:
            raise forms.ValidationError("No patient with that MRN.")
        self.patient = patient
        return mrn

    def clean(self):
        data = super().clean()
        if data.get("earliest") and data.get("latest") and data["latest"] < data["earliest"]:
            self.add_error("latest", "The last day is before the first.")
        return data

    @classmethod
    def initial_for(cls, today: dt.date) -> dict:
        return {"earliest": today, "latest": today + dt.timedelta(days=28)}
