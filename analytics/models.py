"""What the analytics record themselves: searches that found no option in the dose window."""

from __future__ import annotations

from django.db import models


class SearchMiss(models.Model):
    """A slot search for a dose that found no option inside the dose's window.

    Written by the availability selector (one row per patient, protocol, dose and center-local
    day of searching, however often the coordinator searches again), read by the analytics:
    how often the center turns a due patient away from the window the drug needs.
    """

    patient = models.ForeignKey("patients.Patient", on_delete=models.CASCADE, related_name="+")
    protocol = models.ForeignKey("scheduling.Protocol", on_delete=models.CASCADE, related_name="+")
    dose_number = models.PositiveSmallIntegerField()
    searched_on = models.DateField(help_text="Center-local day of the search.")
    searched_at = models.DateTimeField()
    window_start = models.DateField(null=True, blank=True)
    window_end = models.DateField(null=True, blank=True)
    date_from = models.DateField()
    date_to = models.DateField()
    options_found = models.PositiveSmallIntegerField(
        default=0, help_text="Options found outside the window (0: none at all)."
    )

    class Meta:
        ordering = ["-searched_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["patient", "protocol", "dose_number", "searched_on"],
                name="search_miss_once_a_day",
            )
        ]
        indexes = [models.Index(fields=["searched_on"], name="search_miss_day_idx")]

    def __str__(self) -> str:
        return (
            f"No option in window: {self.protocol_id} dose {self.dose_number} ({self.searched_on})"
        )
