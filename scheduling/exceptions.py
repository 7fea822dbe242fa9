"""Errors a coordinator can act on, with messages meant for people.

Services raise these; the API turns BookingConflict into 409 and the others into 400, and the
pages show the message in place.
"""


class SchedulingError(Exception):
    """Invalid request: outside hours, in the past, unknown dose... (HTTP 400)."""

    field = "non_field_errors"

    def __init__(self, message: str, *, field: str | None = None):
        super().__init__(message)
        if field:
            self.field = field

    def as_field_errors(self) -> dict[str, list[str]]:
        return {self.field: [str(self)]}


class OutsideHours(SchedulingError):
    field = "start"


class SpacingViolation(SchedulingError):
    """Too soon after the previous dose, or outside the window without an override reason."""

    field = "start"


class InvalidTransition(SchedulingError):
    field = "status"


class BookingConflict(Exception):
    """The chair, nurse or patient is taken (HTTP 409). `conflicts` names what clashed."""

    def __init__(self, message: str, conflicts: list[dict] | None = None):
        super().__init__(message)
        self.conflicts = conflicts or []
