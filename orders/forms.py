"""Forms for the front desk's coverage page: order, authorization, height and weight, allergy."""

from __future__ import annotations

from django import forms

from orders.models import AllergySeverity
from scheduling.forms import DateInput
from scheduling.models import Protocol


class OrderForm(forms.Form):
    protocol = forms.ModelChoiceField(queryset=Protocol.objects.filter(active=True))
    dose_mg = forms.DecimalField(
        label="Dose (mg)", required=False, min_value=0.01, max_digits=8, decimal_places=2
    )
    dose_mg_per_m2 = forms.DecimalField(
        label="Dose (mg/m²)", required=False, min_value=0.01, max_digits=6, decimal_places=2
    )
    doses = forms.IntegerField(label="Number of doses", required=False, min_value=1, max_value=99)
    end_date = forms.DateField(required=False, widget=DateInput)
    provider = forms.CharField(label="Ordering provider", max_length=120)
    signed_on = forms.DateField(widget=DateInput)
    expires_on = forms.DateField(widget=DateInput)


class AuthorizationForm(forms.Form):
    payer = forms.CharField(max_length=120)
    plan = forms.CharField(max_length=120, required=False)
    member_id = forms.CharField(label="Member id", max_length=60)
    number = forms.CharField(label="Authorization number", max_length=60)
    valid_from = forms.DateField(widget=DateInput)
    valid_to = forms.DateField(widget=DateInput)
    hcpcs = forms.CharField(
        label="Approved HCPCS codes", max_length=200, help_text="Comma-separated, e.g. J2350"
    )
    units_approved = forms.IntegerField(required=False, min_value=1, max_value=10_000_000)
    visits_approved = forms.IntegerField(required=False, min_value=1, max_value=999)

    def clean_hcpcs(self):
        return [c.strip() for c in self.cleaned_data["hcpcs"].split(",") if c.strip()]


class MeasurementForm(forms.Form):
    measured_on = forms.DateField(widget=DateInput)
    height_cm = forms.DecimalField(min_value=30, max_value=250, max_digits=5, decimal_places=1)
    weight_kg = forms.DecimalField(min_value=2, max_value=400, max_digits=5, decimal_places=1)


class AllergyForm(forms.Form):
    substance = forms.CharField(max_length=120)
    reaction = forms.CharField(max_length=200, required=False)
    severity = forms.ChoiceField(choices=AllergySeverity.choices, required=False)
