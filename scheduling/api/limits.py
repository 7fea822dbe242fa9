"""Input limits every API operation and page shares (issue 10: bad input is a 400, never a 500).

- LimitedJSONParser: JSON no deeper than API_MAX_JSON_DEPTH, no unpaired surrogates (they
  cannot be stored as UTF-8) and no NUL characters (PostgreSQL text refuses them).
- Dates bounded to INPUT_DATE_MIN..INPUT_DATE_MAX on every date and datetime field of the
  API, of the staff forms and of the models: year 1 or 9999 is a clear 400 instead of an
  OverflowError when a view adds a day or converts a zone. `install_date_bounds()` runs from
  SchedulingConfig.ready(), so endpoints added later are covered without remembering to.
- Text fields take text: a JSON number for a `type: string` field is a 400
  (`install_strict_text()`, also from ready()).
"""

from __future__ import annotations

import datetime as dt

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.deconstruct import deconstructible
from rest_framework import serializers
from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser

# Wide enough for any date of birth, lab draw or booking; far enough from datetime's own
# limits (year 1 and 9999) that a view can add weeks or change zones without overflowing.
INPUT_DATE_MIN = dt.date(1900, 1, 1)
INPUT_DATE_MAX = dt.date(2199, 12, 31)


@deconstructible
class DateInRange:
    """A date (or the date part of a datetime) within INPUT_DATE_MIN..INPUT_DATE_MAX."""

    message = "Enter a date between {min} and {max}."

    def __call__(self, value):
        if value is None:
            return
        day = value.date() if isinstance(value, dt.datetime) else value
        if not isinstance(day, dt.date):
            return
        if not INPUT_DATE_MIN <= day <= INPUT_DATE_MAX:
            raise ValidationError(
                self.message.format(min=INPUT_DATE_MIN.isoformat(), max=INPUT_DATE_MAX.isoformat()),
                code="date_range",
            )

    def __eq__(self, other):
        return isinstance(other, DateInRange)


date_in_range = DateInRange()


def install_date_bounds() -> None:
    """Put `date_in_range` among the default validators of every date/datetime field class
    (DRF serializers, Django forms, Django models). Model classes keep it out of migrations:
    `default_validators` are not part of a field's deconstruction."""
    for cls in (
        serializers.DateField,
        serializers.DateTimeField,
        forms.DateField,
        forms.DateTimeField,
        models.DateField,
        models.DateTimeField,
    ):
        if date_in_range not in cls.default_validators:
            cls.default_validators = [*cls.default_validators, date_in_range]


def install_strict_text() -> None:
    """A JSON number sent for a text field is a 400, as the schema says (`type: string`).

    DRF's CharField turns 0 into "0"; a client that sends numbers for names or MRNs has a bug
    it should hear about, and schemathesis holds the API to its schema. Form and query input
    is text already, so only JSON bodies are affected."""
    field = serializers.CharField
    if getattr(field.to_internal_value, "_strict_text", False):
        return
    lenient = field.to_internal_value

    def to_internal_value(self, data):
        if isinstance(data, int | float) and not isinstance(data, bool):
            self.fail("invalid")
        return lenient(self, data)

    to_internal_value._strict_text = True
    field.to_internal_value = to_internal_value


class LimitedJSONParser(JSONParser):
    """DRF's JSON parser with a depth limit and a check of every string in the document.

    Python's decoder recurses per nesting level, so a body 1,000 levels deep was a
    RecursionError (500); the limit makes it a 400 long before that."""

    def parse(self, stream, media_type=None, parser_context=None):
        try:
            data = super().parse(stream, media_type, parser_context)
        except RecursionError as exc:
            raise ParseError("JSON parse error - the document is nested too deeply.") from exc
        check_json(data, max_depth=settings.API_MAX_JSON_DEPTH)
        return data


def check_json(data, *, max_depth: int) -> None:
    """Raise ParseError when `data` nests deeper than `max_depth` or holds a string that is
    not valid Unicode text (unpaired surrogate) or contains NUL. Iterative, so it cannot
    recurse itself."""
    stack = [(data, 1)]
    while stack:
        node, depth = stack.pop()
        if isinstance(node, dict):
            if depth > max_depth:
                raise ParseError(f"JSON parse error - nested deeper than {max_depth} levels.")
            for key, value in node.items():
                _check_text(key)
                stack.append((value, depth + 1))
        elif isinstance(node, list):
            if depth > max_depth:
                raise ParseError(f"JSON parse error - nested deeper than {max_depth} levels.")
            stack.extend((value, depth + 1) for value in node)
        elif isinstance(node, str):
            _check_text(node)


def _check_text(text: str) -> None:
    if "\x00" in text:
        raise ParseError("JSON parse error - text may not contain NUL characters.")
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise ParseError("JSON parse error - the text is not valid Unicode.") from exc
