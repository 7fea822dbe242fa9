"""Money formatting for the estimate tables."""

from __future__ import annotations

from django import template

register = template.Library()


@register.filter
def dollars(value) -> str:
    if value is None:
        return "—"
    return f"${float(value):,.0f}"


@register.simple_tag
def site_total(est, code: str) -> str:
    """An estimate's total at one site, as dollars (— when a price or the dose is unknown)."""
    cost = est.costs.get(code)
    return dollars(cost.total if cost else None)


@register.filter
def get(mapping, key):
    return (mapping or {}).get(key)
