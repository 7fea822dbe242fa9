"""Every read the pages, the API and the tasks share (DESIGN §2), query-count-conscious.

Modules: sessions (catalogue and session lists), readiness (lab readiness and REMS), due
(dose history, next due, the due worklist), day (roster and day board), availability (ranked
free slots), patients (search).
"""

from scheduling.selectors.availability import (  # noqa: F401
    availability,
)
from scheduling.selectors.day import (  # noqa: F401
    Board,
    BoardRow,
    RosterEntry,
    day_board,
    premed_items_for,
    roster,
)
from scheduling.selectors.due import (  # noqa: F401
    DueItem,
    PatientRef,
    dose_history,
    due_worklist,
    due_worklist_refs,
    next_due_for,
)
from scheduling.selectors.patients import (  # noqa: F401
    patient_search,
)
from scheduling.selectors.planning import (  # noqa: F401
    DayCell,
    patient_week,
    week_board,
    week_start_of,
)
from scheduling.selectors.readiness import (  # noqa: F401
    lab_checklist,
    lab_readiness_for_sessions,
    labs_at_risk,
    rems_status,
    slot_labs_at_risk,
)
from scheduling.selectors.sessions import (  # noqa: F401
    later_open_doses,
    protocol_get,
    protocol_list,
    session_list,
)
