"""A whole induction or course is booked in one step, all doses or none, at one local time."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from scheduling import services
from scheduling.models import Closure, InfusionSession, Series
from tests.conftest import at

pytestmark = pytest.mark.django_db


def test_ocrevus_induction_is_day_0_and_day_14(clinic, clinic_day, make_patient):
    series = services.book_series(
        patient=make_patient(),
        protocol=clinic["protocols"]["ocrelizumab_iv"],
        start=at(clinic_day, 9),
    )
    doses = list(series.sessions.order_by("dose_number"))
    assert [d.dose_number for d in doses] == [1, 2]
    assert doses[1].start == at(clinic_day + dt.timedelta(days=14), 9)


def test_lemtrada_course_is_five_consecutive_days(clinic, clinic_day, make_patient):
    series = services.book_series(
        patient=make_patient(), protocol=clinic["protocols"]["alemtuzumab"], start=at(clinic_day, 8)
    )
    days = [
        s.start.astimezone(ZoneInfo("America/New_York")).date()
        for s in series.sessions.order_by("dose_number")
    ]
    assert days == [clinic_day + dt.timedelta(days=i) for i in range(5)]
    assert all(s.chair.kind == "bed" for s in series.sessions.all())


def test_steroid_course_length_is_chosen(clinic, clinic_day, make_patient):
    series = services.book_series(
        patient=make_patient(),
        protocol=clinic["protocols"]["methylprednisolone_relapse"],
        start=at(clinic_day, 8),
        length=3,
    )
    assert series.sessions.count() == 3
    with pytest.raises(services.SchedulingError):
        services.book_series(
            patient=make_patient(),
            protocol=clinic["protocols"]["methylprednisolone_relapse"],
            start=at(clinic_day, 8),
            length=9,
        )


def test_series_is_all_or_nothing(clinic, clinic_day, make_patient):
    Closure.objects.create(date=clinic_day + dt.timedelta(days=14), reason="Holiday")
    patient = make_patient()
    with pytest.raises(services.SchedulingError):
        services.book_series(
            patient=patient, protocol=clinic["protocols"]["ocrelizumab_iv"], start=at(clinic_day, 9)
        )
    assert not InfusionSession.objects.filter(patient=patient).exists()
    assert not Series.objects.exists()


def test_series_conflict_on_a_later_dose_stores_nothing(clinic, clinic_day, make_patient):
    patient = make_patient()
    day14 = clinic_day + dt.timedelta(days=14)
    services.book_session(
        patient=patient,
        protocol=clinic["protocols"]["natalizumab"],
        dose_number=1,
        start=at(day14, 9),
    )
    with pytest.raises(services.BookingConflict):
        services.book_series(
            patient=patient, protocol=clinic["protocols"]["ocrelizumab_iv"], start=at(clinic_day, 9)
        )
    assert InfusionSession.objects.filter(patient=patient).count() == 1


def test_series_across_spring_dst_change_keeps_local_time(clinic, make_patient):
    # US clocks spring forward on 2027-03-14; day 0 on 2027-03-08, day 14 on 2027-03-22.
    ny = ZoneInfo("America/New_York")
    day0 = dt.date(2027, 3, 8)
    series = services.book_series(
        patient=make_patient(), protocol=clinic["protocols"]["ocrelizumab_iv"], start=at(day0, 9)
    )
    first, second = series.sessions.order_by("dose_number")
    assert first.start.astimezone(ny).time() == dt.time(9)
    assert second.start.astimezone(ny).time() == dt.time(9)
    assert second.start - first.start == dt.timedelta(days=14, hours=-1)  # one hour fewer in UTC
    assert first.start.astimezone(dt.UTC).hour == 14 and second.start.astimezone(dt.UTC).hour == 13
