"""The weekly template: built by CP-SAT from the last weeks and the due pipeline, edited and
published by a manager, audited; only drafts change."""

import datetime as dt

import pytest

from scheduling import services
from scheduling.exceptions import BookingConflict, SchedulingError
from scheduling.models import AuditEvent, TemplateStatus, WeeklyTemplate
from scheduling.planning.templates import published_guide, to_engine
from scheduling.services import template as template_service
from tests.conftest import at
from tests.planning.conftest import today

pytestmark = [pytest.mark.django_db, pytest.mark.postgres]


def _history(clinic, make_patient, weeks=4):
    """Every Monday of the last `weeks` weeks: 3 Ocrevus (5 h) and 4 Tysabri (1 h) visits."""
    ocrevus, tysabri = clinic["protocols"]["ocrelizumab_iv"], clinic["protocols"]["natalizumab"]
    last_monday = today() - dt.timedelta(days=today().weekday() or 7)  # strictly before today
    n = 0
    for w in range(weeks):
        day = last_monday - dt.timedelta(weeks=w)
        for i in range(3):
            services.record_past_dose(
                patient=make_patient(),
                protocol=ocrevus,
                dose_number=3,
                start=at(day, 8 + i),
                chair=clinic["chairs"][i],
            )
            n += 1
        for i in range(4):
            services.record_past_dose(
                patient=make_patient(),
                protocol=tysabri,
                dose_number=20,
                start=at(day, 13 + i),
                chair=clinic["chairs"][3 + i % 3],
            )
            n += 1
    return n


def test_a_draft_keeps_a_start_for_every_weekly_visit(clinic, make_patient, make_staff):
    visits = _history(clinic, make_patient)
    manager = make_staff("manager")
    row = template_service.build_template_draft(by=manager, weeks=4, horizon_days=0, time_limit=5)
    assert row.status == TemplateStatus.DRAFT and row.created_by == manager
    assert row.source["visits"] == visits and row.source["solver_status"] in ("optimal", "feasible")
    t = to_engine(row)
    monday = {cls: sum(t.starts_for(0, cls).values()) for cls in ("gt4h", "le1h", "1to2h")}
    assert monday["gt4h"] == 3  # three long infusions a week on Mondays
    assert monday["le1h"] + monday["1to2h"] == 4
    assert sum(n for (wd, _, _), n in t.starts.items() if wd != 0) == 0
    # Every start leaves time for the stay before closing (19:00).
    for (_wd, m, cls), _n in t.starts.items():
        assert m + t.class_minutes[cls] <= 19 * 60
    assert AuditEvent.objects.filter(action="template_built", actor=manager).exists()
    assert published_guide() is None  # a draft guides nothing


def test_publishing_retires_the_previous_one_and_guides_the_search(clinic, make_patient):
    _history(clinic, make_patient, weeks=2)
    first = template_service.build_template_draft(weeks=2, horizon_days=0, time_limit=3)
    template_service.publish_template(template=first)
    second = template_service.copy_template(template=first)
    template_service.publish_template(template=second)
    first.refresh_from_db()
    assert first.status == TemplateStatus.RETIRED
    assert WeeklyTemplate.objects.filter(status=TemplateStatus.PUBLISHED).get() == second
    guide = published_guide()
    assert guide is not None and sum(guide.template.starts.values()) > 0
    assert guide.release_hours == clinic["center"].template_release_hours


def test_only_drafts_are_edited(clinic, make_patient):
    _history(clinic, make_patient, weeks=1)
    row = template_service.build_template_draft(weeks=1, horizon_days=0, time_limit=3)
    row = template_service.set_template_day(
        template=row, weekday=0, counts={(7 * 60, "gt4h"): 2, (13 * 60, "le1h"): 5}
    )
    t = to_engine(row)
    assert t.starts == {(0, 420, "gt4h"): 2, (0, 780, "le1h"): 5}
    template_service.publish_template(template=row)
    with pytest.raises(BookingConflict):
        template_service.set_template_day(template=row, weekday=0, counts={})


@pytest.mark.parametrize(
    "counts",
    [
        {(7 * 60 + 7, "le1h"): 1},
        {(6 * 60, "le1h"): 1},
        {(8 * 60, "huge"): 1},
        {(8 * 60, "le1h"): 999},
    ],
)
def test_a_cell_that_is_not_a_slot_of_the_day_is_refused(clinic, make_patient, counts):
    _history(clinic, make_patient, weeks=1)
    row = template_service.build_template_draft(weeks=1, horizon_days=0, time_limit=3)
    with pytest.raises(SchedulingError):
        template_service.set_template_day(template=row, weekday=0, counts=counts)


def test_the_release_horizon_is_a_center_setting_and_audited(clinic, make_staff):
    manager = make_staff("manager")
    center = template_service.set_release_settings(
        release_hours=48, protect_until=dt.time(11, 30), by=manager
    )
    assert center.template_release_hours == 48
    event = AuditEvent.objects.get(action="template_release_changed")
    assert (
        event.before["template_release_hours"] == 72
        and event.after["template_protect_until"] == "11:30"
    )
