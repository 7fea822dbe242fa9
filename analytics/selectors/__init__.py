"""Read paths of the operations analytics (DESIGN §1: the nurse manager's figures).

Modules: filters (period, filters, the sessions they select), day (on-time starts, waits,
chair time, no-shows and late cancellations), occupancy (chair-hours booked and used, peaks,
nurse load), demand (search misses, overdue patients), report (everything for one period
against the previous one, as the page, the CSV exports and the API show it).
"""

from analytics.selectors.day import (  # noqa: F401
    LEAD_BANDS,
    ON_TIME_MINUTES,
    Attendance,
    Punctuality,
    attendance,
    attendance_by,
    punctuality,
    punctuality_by,
)
from analytics.selectors.demand import DemandRow, unmet_demand  # noqa: F401
from analytics.selectors.filters import WEEKDAYS, Filters, sessions_in  # noqa: F401
from analytics.selectors.occupancy import (  # noqa: F401
    NurseFigures,
    NurseLoad,
    Occupancy,
    nurse_figures,
    occupancy,
)
from analytics.selectors.report import Report, report  # noqa: F401
