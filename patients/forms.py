"""Forms on the patient pages (POST only: link scanners in mail clients never submit them)."""

from django import forms

CANCEL_REASONS = [
    ("unwell", "I am unwell"),
    ("conflict", "Something else came up"),
    ("transport", "I have no way to get there"),
    ("other", "Another reason"),
]


class CancelForm(forms.Form):
    reason = forms.ChoiceField(
        choices=CANCEL_REASONS,
        initial="conflict",
        widget=forms.RadioSelect,
        label="Why can you not come?",
    )
    note = forms.CharField(
        required=False,
        max_length=300,
        label="Anything we should know? (optional)",
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def reason_text(self) -> str:
        label = dict(CANCEL_REASONS)[self.cleaned_data["reason"]]
        note = self.cleaned_data.get("note", "").strip()
        return f"Patient cancelled by link: {label}" + (f" ({note})" if note else "")


# --- availability (staff: front desk on the patient page and in find-and-book) ---------------

WEEKDAY_CHOICES = [
    (0, "Mon"),
    (1, "Tue"),
    (2, "Wed"),
    (3, "Thu"),
    (4, "Fri"),
    (5, "Sat"),
    (6, "Sun"),
]


class _TimeInput(forms.TimeInput):
    input_type = "time"

    def __init__(self, **kw):
        super().__init__(format="%H:%M", attrs={"step": 900}, **kw)


class AvailabilityWindowForm(forms.Form):
    """One window: "Tue/Thu 08:00-11:00, must". Empty times mean the whole day."""

    weekdays = forms.TypedMultipleChoiceField(
        choices=WEEKDAY_CHOICES,
        coerce=int,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        label="Days",
    )
    start = forms.TimeField(required=False, widget=_TimeInput(), label="From")
    end = forms.TimeField(required=False, widget=_TimeInput(), label="To")
    kind = forms.ChoiceField(
        choices=[("available", "Can come"), ("unavailable", "Cannot come")],
        initial="available",
        label="Kind",
    )
    strength = forms.ChoiceField(
        choices=[("must", "Must"), ("wish", "Wish")], initial="must", label="How firm"
    )

    def clean(self):
        data = super().clean()
        if (
            not data.get("weekdays")
            and (data.get("start") or data.get("end"))
            and not data.get("DELETE")
        ):
            self.add_error("weekdays", "Tick at least one day.")
        s, e = data.get("start"), data.get("end")
        if s and e and e <= s:
            self.add_error("end", "The window ends after it starts.")
        return data

    @property
    def is_blank(self) -> bool:
        """An untouched empty row (the spare one at the end of the table)."""
        d = getattr(self, "cleaned_data", None) or {}
        return not d.get("weekdays") and not d.get("start") and not d.get("end")

    def as_json(self) -> dict:
        d = self.cleaned_data
        return {
            "weekdays": sorted(d["weekdays"]),
            "start": d["start"].strftime("%H:%M") if d.get("start") else None,
            "end": d["end"].strftime("%H:%M") if d.get("end") else None,
            "kind": d["kind"],
            "strength": d["strength"],
        }


AvailabilityWindowFormSet = forms.formset_factory(
    AvailabilityWindowForm, extra=1, can_delete=True, max_num=12, validate_max=True
)


class AvailabilityForm(forms.Form):
    preferred_time = forms.TimeField(
        required=False, widget=_TimeInput(), label="Preferred start time"
    )
    short_notice_ok = forms.BooleanField(required=False, label="Can come at short notice")

    def preferred_minute(self) -> int | None:
        t = self.cleaned_data.get("preferred_time")
        return None if t is None else t.hour * 60 + t.minute


def availability_initial(patient) -> tuple[dict, list[dict]]:
    """The forms' initial data from the stored availability."""
    import datetime as dt

    m = patient.preferred_minute
    head = {
        "preferred_time": None if m is None else dt.time(m // 60, m % 60),
        "short_notice_ok": patient.short_notice_ok,
    }
    rows = [
        {
            "weekdays": list(w.weekdays),
            "start": w.start_time,
            "end": w.end_time,
            "kind": w.kind,
            "strength": w.strength,
        }
        for w in patient.availability_windows.all()
    ]
    return head, rows
