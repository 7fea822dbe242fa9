"""Patient search."""

from __future__ import annotations

from django.db.models import (
    Q,
    QuerySet,
)

from patients.models import Patient


def patient_search(*, query: str, limit: int = 20) -> QuerySet[Patient]:
    query = (query or "").strip()
    qs = Patient.objects.all()
    if not query:
        return qs.none()
    terms = query.split()
    cond = Q(mrn__iexact=query)
    name = Q()
    for term in terms:
        name &= Q(first_name__icontains=term) | Q(last_name__icontains=term)
    return qs.filter(cond | name).order_by("last_name", "first_name")[:limit]
