"""Errors a coordinator can act on, with messages meant for people.

Services raise these; the API turns BookingConflict (and its subclasses) into 409, NotPermitted
into 403 and the other SchedulingErrors into 400 (scheduling/api/errors.py), and the pages show
the message in place.

400 means "this request could never succeed as written" (a time in the past, an unknown dose,
a dose outside its window without a reason). 409 means "it was fine a moment ago, or would be
in another state, but something is in the way now" (the chair was just taken, the dose was
booked by a concurrent request, the session was already cancelled or has not been checked in).
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


class BookingConflict(Exception):
    """Something is in the way (HTTP 409): the chair, nurse or patient is taken, or the dose
    was just booked by someone else. `code` says what kind ("conflict", "state", "labs",
    "busy", and the orders helper's "order"/"authorization"); `conflicts` names what is in the
    way."""

    code = "conflict"

    def __init__(self, message: str, conflicts: list[dict] | None = None, *, code: str = ""):
        super().__init__(message)
        self.conflicts = conflicts or []
        if code:
            self.code = code


class InvalidTransition(BookingConflict, SchedulingError):
    """The session is not in a state (or not at a time) where this step can happen: checking
    in tomorrow's patient, completing before the infusion started, cancelling a completed visit.
    A state conflict (409, code "state"); it is also a SchedulingError so the pages that show a
    SchedulingError's message in place keep doing so."""

    code = "state"
    field = "status"

    def __init__(
        self,
        message: str,
        conflicts: list[dict] | None = None,
        *,
        field: str | None = None,
        code: str = "",
    ):
        BookingConflict.__init__(self, message, conflicts, code=code)
        if field:
            self.field = field


class LabGateUnacknowledged(InvalidTransition):
    """A gating lab is missing and nobody acknowledged it (409, code "labs")."""

    code = "labs"
    field = "lab_acknowledgement"


class NotPermitted(SchedulingError):
    """The user's role may not do this (HTTP 403), e.g. a correction by a nurse who is not
    the charge nurse."""

    field = "non_field_errors"
