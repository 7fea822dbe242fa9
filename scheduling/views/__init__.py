"""Staff pages (server-rendered, htmx for partial updates). One module per area; urls.py
imports the views from here.
"""

from scheduling.views.availability import (  # noqa: F401
    patient_availability,
)
from scheduling.views.board import (  # noqa: F401
    board,
    session_cancel,
    session_check_in,
    session_detail,
    session_reschedule,
)
from scheduling.views.booking import (  # noqa: F401
    book,
    booking_done,
    patient_new,
)
from scheduling.views.common import (  # noqa: F401
    GRID_MINUTES,
    SLOT_LIMIT,
    home,
    role_required,
)
from scheduling.views.patients import (  # noqa: F401
    due,
    patient_detail,
    patient_list,
)
from scheduling.views.roster import (  # noqa: F401
    ROSTER_ACTIONS,
    roster,
    roster_action,
)
from scheduling.views.utilization import (  # noqa: F401
    utilization_view,
)
