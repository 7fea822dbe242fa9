"""The analytics filter form: a period (the last four weeks by default) and the filters."""

from __future__ import annotations

import datetime as dt

from django import forms
from django.utils import timezone

from analytics.selectors import WEEKDAYS, Filters
from analytics.selectors.filters import MAX_SPAN_DAYS
from scheduling.models import Chair, Nurse, Protocol
from scheduling.world import center_tz

DEFAULT_DAYS = 28


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, **kwargs):
        super().__init__(format="%Y-%m-%d", **kwargs)


class AnalyticsFilterForm(forms.Form):
    date_from = forms.DateField(label="From", required=False, widget=DateInput())
    date_to = forms.DateField(label="To", required=False, widget=DateInput())
    protocol = forms.ChoiceField(label="Protocol", required=False)
    weekday = forms.TypedChoiceField(
        label="Weekday",
        required=False,
        coerce=int,
        empty_value=None,
        choices=[("", "Any")] + [(str(i), d) for i, d in enumerate(WEEKDAYS)],
    )
    hour = forms.TypedChoiceField(
        label="Start hour",
        required=False,
        coerce=int,
        empty_value=None,
        choices=[("", "Any")] + [(str(h), f"{h:02d}:00") for h in range(5, 22)],
    )
    area = forms.ChoiceField(label="Chair area", required=False)
    nurse = forms.TypedChoiceField(label="Nurse", required=False, coerce=int, empty_value=None)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["protocol"].choices = [("", "Any")] + list(
            Protocol.objects.filter(active=True)
            .order_by("brand_name")
            .values_list("code", "brand_name")
        )
        areas = Chair.objects.exclude(area="").order_by("area").values_list("area", flat=True)
        self.fields["area"].choices = [("", "Any")] + [(a, a) for a in dict.fromkeys(areas)]
        self.fields["nurse"].choices = [("", "Any")] + [
            (str(pk), name) for pk, name in Nurse.objects.order_by("name").values_list("pk", "name")
        ]

    def clean(self):
        data = super().clean()
        start, end = data.get("date_from"), data.get("date_to")
        if start and end:
            if end < start:
                self.add_error("date_to", "The end date is before the start date.")
            elif (end - start).days >= MAX_SPAN_DAYS:
                self.add_error("date_to", f"Show at most {MAX_SPAN_DAYS} days at a time.")
        return data

    def filters(self) -> Filters:
        """The chosen filters; the last four weeks up to yesterday when none (or invalid)."""
        today = timezone.now().astimezone(center_tz()).date()
        default_to = today - dt.timedelta(days=1)
        default_from = default_to - dt.timedelta(days=DEFAULT_DAYS - 1)
        if not self.is_valid():
            return Filters(default_from, default_to)
        d = self.cleaned_data
        start = d.get("date_from") or default_from
        end = d.get("date_to") or (start + dt.timedelta(days=DEFAULT_DAYS - 1))
        return Filters(
            date_from=start,
            date_to=end,
            protocol=d.get("protocol") or None,
            weekday=d.get("weekday"),
            hour=d.get("hour"),
            area=d.get("area") or None,
            nurse=d.get("nurse"),
        )
