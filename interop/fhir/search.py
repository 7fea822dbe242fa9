"""FHIR search parameters: dates with prefixes, references, token lists, paging links."""

from __future__ import annotations

import datetime as dt
import re
from urllib.parse import urlencode

from django.conf import settings

PREFIXES = ("eq", "ne", "gt", "lt", "ge", "le", "sa", "eb", "ap")
_DATE = re.compile(r"^(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?$")


class SearchError(ValueError):
    """A search parameter that cannot be understood: 400 with an OperationOutcome."""


def _split_prefix(value: str) -> tuple[str, str]:
    if len(value) > 2 and value[:2] in PREFIXES and not value[:2].isdigit():
        return value[:2], value[2:]
    return "eq", value


def date_range(value: str, tz) -> tuple[dt.datetime, dt.datetime]:
    """The instants [lo, hi) a FHIR date/dateTime value covers (a day is the center's day)."""
    m = _DATE.match(value)
    try:
        if m:
            year, month, day = int(m[1]), int(m[2] or 1), int(m[3] or 1)
            lo_date = dt.date(year, month, day)
            if m[3]:
                hi_date = lo_date + dt.timedelta(days=1)
            elif m[2]:
                hi_date = dt.date(year + (month == 12), month % 12 + 1, 1)
            else:
                hi_date = dt.date(year + 1, 1, 1)
            if not 1900 <= year <= 2199:
                raise ValueError
            lo = dt.datetime.combine(lo_date, dt.time(0), tzinfo=tz)
            return lo, dt.datetime.combine(hi_date, dt.time(0), tzinfo=tz)
        instant = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except (ValueError, OverflowError) as exc:
        raise SearchError(f"{value!r} is not a FHIR date or dateTime.") from exc
    if not 1900 <= instant.year <= 2199:
        raise SearchError(f"{value!r} is out of range.")
    if instant.tzinfo is None:
        instant = instant.replace(tzinfo=tz)
    return instant, instant + dt.timedelta(seconds=1)


def date_filters(values: list[str], tz) -> list[tuple[str, dt.datetime]]:
    """Each `date=` value -> (op, instant) pairs meaning `start <op> instant` (op: gte | lt).
    Repeated parameters are ANDed (date=ge2026-12-01&date=lt2026-12-08)."""
    out = []
    for raw in values:
        if "," in raw:
            raise SearchError("Give one date per parameter (repeat the parameter for a range).")
        prefix, rest = _split_prefix(raw.strip())
        lo, hi = date_range(rest, tz)
        if prefix == "eq":
            out += [("gte", lo), ("lt", hi)]
        elif prefix == "ge":
            out.append(("gte", lo))
        elif prefix == "gt":
            out.append(("gte", hi))
        elif prefix == "le":
            out.append(("lt", hi))
        elif prefix == "lt":
            out.append(("lt", lo))
        else:
            raise SearchError(f"The date prefix {prefix!r} is not supported (eq ge gt le lt).")
    return out


def bounds(filters, default_lo, default_hi) -> tuple[dt.datetime, dt.datetime]:
    """The tightest [lo, hi) the filters allow, within the defaults given."""
    lo = max([v for op, v in filters if op == "gte"] + [default_lo])
    hi = min([v for op, v in filters if op == "lt"] + [default_hi])
    return lo, hi


def reference_id(value: str, resource_type: str) -> int:
    """'Patient/12', '12' or a full URL ending in Patient/12 -> 12."""
    value = value.strip().rstrip("/")
    tail = value.rsplit("/", 2)
    if len(tail) >= 2 and tail[-2] != resource_type and "/" in value:
        raise SearchError(f"{value!r} is not a {resource_type} reference.")
    ident = tail[-1]
    if not ident.isdigit() or len(ident) > 18:
        raise SearchError(f"{value!r} is not a {resource_type} reference.")
    return int(ident)


def token(value: str) -> tuple[str | None, str]:
    """'system|code' or 'code' -> (system or None, code)."""
    if "|" in value:
        system, _, code = value.partition("|")
        return system, code
    return None, value


class Page:
    """_count and _page of a search, and the Bundle links for them."""

    def __init__(self, request):
        params = request.query_params
        self.request = request
        try:
            self.count = int(params.get("_count", settings.FHIR_PAGE_SIZE))
            self.number = int(params.get("_page", 1))
        except ValueError as exc:
            raise SearchError("_count and _page are whole numbers.") from exc
        if not 0 <= self.count <= settings.FHIR_MAX_COUNT:
            raise SearchError(f"_count is between 0 and {settings.FHIR_MAX_COUNT}.")
        if not 1 <= self.number <= 100000:
            raise SearchError("_page starts at 1.")

    @property
    def offset(self) -> int:
        return (self.number - 1) * self.count

    def _url(self, number: int) -> str:
        params = [(k, v) for k, vs in self.request.query_params.lists() for v in vs if k != "_page"]
        if "_count" not in self.request.query_params:
            params.append(("_count", str(self.count)))
        params.append(("_page", str(number)))
        base = self.request.build_absolute_uri(self.request.path)
        return f"{base}?{urlencode(params)}"

    def links(self, total: int) -> dict[str, str]:
        last = max(1, -(-total // self.count)) if self.count else 1
        links = {"self": self._url(self.number), "first": self._url(1)}
        if self.number > 1:
            links["previous"] = self._url(min(self.number - 1, last))
        if self.count and self.number < last:
            links["next"] = self._url(self.number + 1)
        links["last"] = self._url(last)
        return links
