"""Every write to the schedule goes through here (DESIGN §5).

Each service runs in one transaction: it validates, takes locks, re-reads the busy sessions
under those locks, re-checks every rule with the engine, writes, and in the same transaction
writes the audit row and the reminder outbox. A clash raises BookingConflict (HTTP 409);
anything a coordinator must fix raises a SchedulingError (HTTP 400). On PostgreSQL the
exclusion constraints are the last line.

Modules: common (checks, locks, placement, audit), booking (book, series, move, cancel),
day (the lifecycle of the infusion day), history (doses given before this system).
Callers import from scheduling.services, never from the parts.
"""

# The errors the services raise are part of their interface: callers catch them from here.
from scheduling.exceptions import (  # noqa: F401, E402
    BookingConflict,
    InvalidTransition,
    OutsideHours,
    SchedulingError,
    SpacingViolation,
)
from scheduling.services.booking import (  # noqa: F401
    book_series,
    book_session,
    cancel,
    reschedule,
)
from scheduling.services.common import (  # noqa: F401
    expected_next_dose,
    snapshot,
)
from scheduling.services.day import (  # noqa: F401
    check_in,
    complete,
    confirm,
    mark_no_show,
    record_rems_check,
    start_infusion,
)
from scheduling.services.history import (  # noqa: F401
    record_past_dose,
)
