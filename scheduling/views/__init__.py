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
from scheduling.views.options import (  # noqa: F401
    book_fit,
    book_fit_apply,
    book_more,
    book_week,
)
from scheduling.views.patients import (  # noqa: F401
    due,
    patient_contact,
    patient_detail,
    patient_list,
)
from scheduling.views.planner import (  # noqa: F401
    planner,
    planner_apply,
    planner_progress,
)
from scheduling.views.roster import (  # noqa: F401
    ROSTER_ACTIONS,
    roster,
    roster_action,
)
from scheduling.views.utilization import (  # noqa: F401
    utilization_view,
)
from scheduling.views.week import (  # noqa: F401
    week_board,
)
from scheduling.views.weekly_template import (  # noqa: F401
    template_action,
    template_day,
    template_page,
    template_release,
)
