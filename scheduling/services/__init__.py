"""Every write to the schedule goes through here (DESIGN §5).

Each service runs in one transaction: it validates, takes locks, re-reads the busy sessions
under those locks, re-checks every rule with the engine, writes, and in the same transaction
writes the audit row and the reminder outbox. A clash raises BookingConflict (HTTP 409);
anything a coordinator must fix raises a SchedulingError (HTTP 400). On PostgreSQL the
exclusion constraints are the last line.

Lock order (every write path, no exceptions):

    1. the patient row            _lock_patient
    2. the sessions changed       _lock_sessions / _lock_session, by id ascending
    3. the chairs                 _lock, by id ascending
    4. the nurses                 _lock, by id ascending

Why this order: everything about one patient (which dose is next, spacing, overlaps, the
later doses of a series) is decided under the patient lock, so two requests about the same
patient queue at the very first lock and never hold anything the other needs. Sessions come
next because a move or a cancel must see the row it changes as it is now; chairs and nurses
last because they are only known once the engine has placed the dose, and are shared by many
patients (sorting them by id keeps two patients' bookings from crossing). A service that needs
a session's patient reads the patient id without a lock first (it never changes), then locks
in the order above. Rows read with a join are never locked by accident: every
select_for_update on a joined query says `of=("self",)`. Reminders are written, not locked,
by the services (the dispatcher claims them with SKIP LOCKED outside this order).
Fit-me-in (services.fitmein) touches several patients: it locks all of them first, by id
ascending, then the sessions, chairs and nurses as above. A planner proposal row
(services.planner) is locked right after its patient, before the booking service's locks.

A deadlock PostgreSQL still reports (its own foreign-key and index locks are outside this
order) is retried once inside the service (`common.retry_on_deadlock`); a second one is a 409
"busy", never a 500.

Modules: common (checks, locks, placement, audit), booking (book, series, move, cancel),
day (the lifecycle of the infusion day), history (doses given before this system).
Callers import from scheduling.services, never from the parts.
"""

# The errors the services raise are part of their interface: callers catch them from here.
from scheduling.exceptions import (  # noqa: F401, E402
    BookingConflict,
    InvalidTransition,
    LabGateUnacknowledged,
    NotPermitted,
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
    retry_on_deadlock,
    snapshot,
)
from scheduling.services.day import (  # noqa: F401
    CORRECTIONS,
    check_in,
    complete,
    confirm,
    correct_session,
    end_infusion,
    mark_no_show,
    record_rems_check,
    seat,
    start_infusion,
)
from scheduling.services.history import (  # noqa: F401
    record_past_dose,
)
