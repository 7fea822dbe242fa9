"""Input fields shared by the API's serializers."""

from django.utils import timezone
from rest_framework import serializers


class AwareDateTimeField(serializers.DateTimeField):
    """ISO 8601 with a UTC offset. A naive time is refused rather than guessed (DESIGN §8):
    a booking at the wrong hour is worse than a 400."""

    default_error_messages = {
        "naive": "Give the time with its UTC offset, e.g. 2026-12-01T09:00:00-05:00.",
    }

    def enforce_timezone(self, value):
        if timezone.is_naive(value):
            self.fail("naive")
        return super().enforce_timezone(value)


class CommaChoicesField(serializers.CharField):
    """`status=booked,confirmed`: one or more choices, comma-separated."""

    def __init__(self, *, choices, **kwargs):
        self.allowed = (
            [c for c, _ in choices] if choices and isinstance(choices[0], tuple) else list(choices)
        )
        kwargs.setdefault(
            "help_text", "One or more of: " + ", ".join(self.allowed) + " (comma-separated)."
        )
        super().__init__(**kwargs)

    def to_internal_value(self, data):
        raw = super().to_internal_value(data)
        values = [v.strip() for v in raw.split(",") if v.strip()]
        bad = [v for v in values if v not in self.allowed]
        if bad:
            raise serializers.ValidationError(
                f"Unknown value(s) {', '.join(bad)}; use {', '.join(self.allowed)}."
            )
        return values


MAX_ID = 2**63 - 1


class IdField(serializers.IntegerField):
    """A row id in a query: positive and within a 64-bit key (SQLite overflows past it)."""

    def __init__(self, **kwargs):
        kwargs.setdefault("min_value", 1)
        kwargs.setdefault("max_value", MAX_ID)
        super().__init__(**kwargs)
