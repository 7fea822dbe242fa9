"""The scheduling domain (DESIGN §3), one module per area. Everything is importable from
scheduling.models, which is what code and migrations use.
"""

from scheduling.models.audit import (  # noqa: F401
    AuditEvent,
)
from scheduling.models.catalogue import (  # noqa: F401
    DoseRule,
    InfusionOption,
    IntervalAnchor,
    LabGate,
    LabRequirement,
    LabTest,
    Protocol,
)
from scheduling.models.center import (  # noqa: F401
    CenterSettings,
    Closure,
    Confidence,
    OpeningHours,
    Weekday,
    center_settings_scope,
)
from scheduling.models.planning import (  # noqa: F401
    DURATION_CLASS_CHOICES,
    PlanProposal,
    PlanRun,
    PlanRunStatus,
    ProposalStatus,
    TemplateStart,
    TemplateStatus,
    WeeklyTemplate,
)
from scheduling.models.reminders import (  # noqa: F401
    Channel,
    Reminder,
    ReminderKind,
    ReminderStatus,
)
from scheduling.models.resources import (  # noqa: F401
    Chair,
    ChairKind,
    Nurse,
    NurseShift,
    NurseTimeOff,
)
from scheduling.models.sessions import (  # noqa: F401
    ACTIVE_STATUSES,
    HELD_STATUSES,
    InfusionSession,
    InfusionSessionQuerySet,
    Series,
    SessionStatus,
)
