"""Every slot search follows the published template: the starts it keeps for the dose's
length come first, and long-infusion morning starts are kept from shorter doses until the
release horizon (a center setting), after which anyone may take them."""

import datetime as dt

import pytest
import time_machine

from patients import availability as patient_availability
from scheduling import selectors
from scheduling.models import TemplateStatus, WeeklyTemplate
from tests.conftest import TZ

pytestmark = [pytest.mark.django_db, pytest.mark.postgres]


def _publish(weekday, start, cls, count):
    row = WeeklyTemplate.objects.create(
        name="Level",
        status=TemplateStatus.PUBLISHED,
        slot_minutes=15,
        hours={str(d): ["07:00", "19:00"] for d in range(5)},
    )
    row.starts.create(weekday=weekday, start=start, duration_class=cls, count=count)
    return row


def _search(clinic, patient, day, code="ocrelizumab_iv", limit=5, **kw):
    return selectors.availability(
        patient=patient,
        protocol=clinic["protocols"][code],
        dose_number=1,
        date_from=day,
        date_to=day,
        limit=limit,
        **kw,
    )


def test_the_template_s_start_for_the_dose_s_length_comes_first(clinic, clinic_day, make_patient):
    patient = make_patient()
    plain = _search(clinic, patient, clinic_day)
    _publish(clinic_day.weekday(), dt.time(10), "2to4h", 2)  # Ocrevus dose 1: 4 h in the chair
    guided = _search(clinic, patient, clinic_day)
    assert plain[0].start.astimezone(TZ).time() != dt.time(10)
    assert guided[0].start.astimezone(TZ).time() == dt.time(10)
    assert guided[0].score_parts["template"] == 0
    assert all(s.score_parts["template"] > 0 for s in guided[1:])
    # The coordinator can still search without it.
    unguided = _search(clinic, patient, clinic_day, use_template=False)
    assert [s.start for s in unguided] == [s.start for s in plain]


def test_long_morning_starts_are_kept_until_the_release_horizon(clinic, clinic_day, make_patient):
    patient = make_patient()
    _publish(clinic_day.weekday(), dt.time(7), "gt4h", len(clinic["chairs"]))
    day_open = dt.datetime.combine(clinic_day, dt.time(7), tzinfo=TZ)
    hours = clinic["center"].template_release_hours
    with time_machine.travel(day_open - dt.timedelta(hours=hours + 24), tick=False):
        kept = _search(clinic, patient, clinic_day, code="natalizumab", limit=20)
    assert kept and min(s.start.astimezone(TZ).time() for s in kept) >= dt.time(12)
    with time_machine.travel(day_open - dt.timedelta(hours=hours - 2), tick=False):
        released = _search(clinic, patient, clinic_day, code="natalizumab", limit=20)
    assert min(s.start.astimezone(TZ).time() for s in released) == dt.time(7)


def test_the_search_honours_the_patient_s_windows(clinic, clinic_day, make_patient):
    patient = make_patient()
    patient_availability.set_availability(
        patient=patient,
        windows=[
            {"weekdays": [1, 3], "start": "12:00", "end": "19:00"},
            {"weekdays": [3], "kind": "unavailable", "strength": "must"},
        ],
        preferred_minute=13 * 60,
        short_notice_ok=False,
    )
    patient.refresh_from_db()
    slots = selectors.availability(
        patient=patient,
        protocol=clinic["protocols"]["natalizumab"],
        dose_number=1,
        date_from=clinic_day,
        date_to=clinic_day + dt.timedelta(days=13),
        limit=20,
    )
    assert slots
    for s in slots:
        local = s.start.astimezone(TZ)
        assert local.weekday() == 1 and local.time() >= dt.time(12)
    assert slots[0].start.astimezone(TZ).time() == dt.time(13)
