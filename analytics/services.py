"""The analytics' only write: a search miss, recorded where the search happens."""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils import timezone

from analytics.models import SearchMiss


def record_search_miss(
    *,
    patient,
    protocol,
    dose_number: int,
    date_from: dt.date,
    date_to: dt.date,
    window_start: dt.date | None,
    window_end: dt.date | None,
    options_found: int,
    today: dt.date,
) -> None:
    """Note that a search for this dose found nothing inside its window (once per patient,
    dose and day). Never fails the search that calls it: a clash with a row written at the
    same moment is ignored, inside a savepoint so the caller's transaction is untouched."""
    with transaction.atomic():
        SearchMiss.objects.bulk_create(
            [
                SearchMiss(
                    patient=patient,
                    protocol=protocol,
                    dose_number=dose_number,
                    searched_on=today,
                    searched_at=timezone.now(),
                    window_start=window_start,
                    window_end=window_end,
                    date_from=date_from,
                    date_to=date_to,
                    options_found=min(options_found, 32767),
                )
            ],
            ignore_conflicts=True,
        )
