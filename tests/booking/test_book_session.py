"""A coordinator books one dose: the session carries the catalogue's phase times, a chair and
a nurse the rules allow, its reminders and an audit row."""

import datetime as dt

import pytest

from scheduling import services
from scheduling.models import AuditEvent, InfusionSession, Reminder
from tests.conftest import at

pytestmark = pytest.mark.django_db


def test_ocrevus_first_dose_gets_the_catalogue_timeline(
    clinic, clinic_day, make_patient, make_staff
):
    coordinator = make_staff("front_desk")
    patient = make_patient()
    ocrevus = clinic["protocols"]["ocrelizumab_iv"]

    session = services.book_session(
        patient=patient, protocol=ocrevus, dose_number=1, start=at(clinic_day, 9), by=coordinator
    )

    start = at(clinic_day, 9)
    assert session.start == start
    assert session.infusion_start == start + dt.timedelta(minutes=30)  # methylprednisolone first
    assert session.infusion_end == session.infusion_start + dt.timedelta(minutes=150)
    assert session.observation_end == session.infusion_end + dt.timedelta(minutes=60)
    assert session.chair_release_at == session.observation_end + dt.timedelta(minutes=15)
    assert session.status == "booked"
    assert session.chair_id in {c.pk for c in clinic["chairs"]}
    assert session.nurse_id is not None
    assert (
        AuditEvent.objects.filter(session=session, action="booked", actor=coordinator).count() == 1
    )
    assert Reminder.objects.filter(session=session).exists()


def test_engine_picks_a_nurse_with_the_rems_skill(clinic, clinic_day, make_patient):
    tysabri = clinic["protocols"]["natalizumab"]
    session = services.book_session(
        patient=make_patient(), protocol=tysabri, dose_number=1, start=at(clinic_day, 10)
    )
    assert "rems_natalizumab" in session.nurse.skills


def test_lemtrada_goes_to_a_bed(clinic, clinic_day, make_patient):
    lemtrada = clinic["protocols"]["alemtuzumab"]
    session = services.book_session(
        patient=make_patient(), protocol=lemtrada, dose_number=1, start=at(clinic_day, 7, 30)
    )
    assert session.chair.kind == "bed"
    assert "rems_alemtuzumab" in session.nurse.skills


def test_a_chosen_chair_is_used_and_a_clash_on_it_is_a_conflict(clinic, clinic_day, make_patient):
    ocrevus = clinic["protocols"]["ocrelizumab_iv"]
    chair = clinic["chairs"][0]
    first = services.book_session(
        patient=make_patient(),
        protocol=ocrevus,
        dose_number=1,
        start=at(clinic_day, 9),
        chair=chair,
    )
    assert first.chair == chair

    # 13:00 is inside the first session's chair time (until 13:15 with turnover).
    with pytest.raises(services.BookingConflict) as err:
        services.book_session(
            patient=make_patient(),
            protocol=ocrevus,
            dose_number=1,
            start=at(clinic_day, 13),
            chair=chair,
        )
    assert err.value.conflicts[0]["resource"] == f"chair:{chair.pk}"
    assert "R1" in str(err.value)
    # Right after turnover the chair is free again.
    after = services.book_session(
        patient=make_patient(),
        protocol=ocrevus,
        dose_number=1,
        start=at(clinic_day, 13, 15),
        chair=chair,
    )
    assert after.start == at(clinic_day, 13, 15)
    assert InfusionSession.objects.filter(chair=chair).count() == 2


def test_patient_cannot_be_in_two_chairs(clinic, clinic_day, make_patient):
    patient = make_patient()
    services.book_session(
        patient=patient,
        protocol=clinic["protocols"]["natalizumab"],
        dose_number=1,
        start=at(clinic_day, 9),
    )
    with pytest.raises(services.BookingConflict) as err:
        services.book_session(
            patient=patient,
            protocol=clinic["protocols"]["ocrelizumab_iv"],
            dose_number=1,
            start=at(clinic_day, 9, 30),
        )
    assert err.value.conflicts[0]["resource"] == f"patient:{patient.pk}"


def test_nurse_never_exceeds_max_concurrent_patients(clinic, clinic_day, make_patient):
    nurse = clinic["nurses"][3]  # no special skills, max 4
    ocrevus = clinic["protocols"]["ocrelizumab_iv"]
    for i in range(4):
        services.book_session(
            patient=make_patient(),
            protocol=ocrevus,
            dose_number=1,
            start=at(clinic_day, 8, 15 * i),
            nurse=nurse,
        )
    with pytest.raises(services.BookingConflict) as err:
        services.book_session(
            patient=make_patient(),
            protocol=ocrevus,
            dose_number=1,
            start=at(clinic_day, 9, 30),
            nurse=nurse,
        )
    assert err.value.conflicts[0]["resource"] == f"nurse:{nurse.pk}"


def test_nurse_starts_one_patient_per_stagger_window(clinic, clinic_day, make_patient):
    nurse = clinic["nurses"][3]
    ocrevus = clinic["protocols"]["ocrelizumab_iv"]
    services.book_session(
        patient=make_patient(),
        protocol=ocrevus,
        dose_number=1,
        start=at(clinic_day, 9),
        nurse=nurse,
    )
    with pytest.raises(services.BookingConflict):
        services.book_session(
            patient=make_patient(),
            protocol=ocrevus,
            dose_number=1,
            start=at(clinic_day, 9, 5),
            nurse=nurse,
        )


def test_nurse_on_time_off_is_not_booked(clinic, clinic_day, make_patient):
    from scheduling.exceptions import SchedulingError
    from scheduling.models import NurseTimeOff

    nurse = clinic["nurses"][1]  # the only natalizumab-REMS nurse
    NurseTimeOff.objects.create(
        nurse=nurse, start_date=clinic_day, end_date=clinic_day, reason="Leave"
    )
    with pytest.raises((SchedulingError, services.BookingConflict)):
        services.book_session(
            patient=make_patient(),
            protocol=clinic["protocols"]["natalizumab"],
            dose_number=1,
            start=at(clinic_day, 9),
        )
    assert not InfusionSession.objects.exists()
    next_day = services.book_session(
        patient=make_patient(),
        protocol=clinic["protocols"]["natalizumab"],
        dose_number=1,
        start=at(clinic_day + dt.timedelta(days=1), 9),
    )
    assert next_day.nurse == nurse
