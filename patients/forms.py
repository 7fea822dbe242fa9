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
