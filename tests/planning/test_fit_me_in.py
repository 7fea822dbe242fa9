"""Fit-me-in: when the day a patient needs is full, repack it. Chairs and nurses of sessions
that have not started are reassigned with their times unchanged; a time moves only when the
coordinator allowed it (and the patient is told). One transaction, audited, 409 if the day
changed since the proposal."""

import pytest

from patients import availability
from scheduling import selectors, services
from scheduling.exceptions import BookingConflict, SchedulingError
from scheduling.models import AuditEvent, Chair, InfusionSession, Reminder, ReminderKind
from scheduling.planning.fit import propose_fit
from scheduling.services.fitmein import apply_fit
from tests.conftest import at
from tests.planning.conftest import stored_schedule_problems

pytestmark = [pytest.mark.django_db, pytest.mark.postgres]


@pytest.fixture
def two_chairs(clinic):
    """Only chairs R1 (A) and R2 (B) in service."""
    a, b = clinic["chairs"][0], clinic["chairs"][1]
    Chair.objects.exclude(pk__in=[a.pk, b.pk]).update(active=False)
    return a, b


def _tysabri(clinic, make_patient, chair, start):
    return services.book_session(
        patient=make_patient(),
        protocol=clinic["protocols"]["natalizumab"],
        dose_number=1,  # 2 h in the chair
        start=start,
        chair=chair,
    )


def _needs_nine(make_patient, weekday):
    """A patient who can only come at 09:00-13:00 that weekday (Ocrevus dose 1 is 4 h)."""
    patient = make_patient()
    availability.set_availability(
        patient=patient,
        windows=[{"weekdays": [weekday], "start": "09:00", "end": "13:00"}],
        preferred_minute=9 * 60,
        short_notice_ok=False,
    )
    patient.refresh_from_db()
    return patient


def _no_option(patient, clinic, day):
    return not selectors.availability(
        patient=patient,
        protocol=clinic["protocols"]["ocrelizumab_iv"],
        dose_number=1,
        date_from=day,
        date_to=day,
    )


def _apply(plan, patient, clinic, allow_shift=False, moves=None):
    p = plan.placement
    return apply_fit(
        patient=patient,
        protocol=clinic["protocols"]["ocrelizumab_iv"],
        dose_number=1,
        start=p.timeline.start,
        chair=Chair.objects.get(pk=p.chair_id),
        nurse=clinic["nurses"][0].__class__.objects.get(pk=p.nurse_id),
        moves=[m.move for m in plan.moves] if moves is None else moves,
        allow_shift=allow_shift,
    )


def test_reassigning_a_chair_makes_room_and_nobody_s_time_changes(
    clinic, clinic_day, two_chairs, make_patient, make_staff
):
    a, b = two_chairs
    s1 = _tysabri(clinic, make_patient, a, at(clinic_day, 11, 30))
    s2 = _tysabri(clinic, make_patient, b, at(clinic_day, 9))
    patient = _needs_nine(make_patient, clinic_day.weekday())
    assert _no_option(patient, clinic, clinic_day)
    reminders_before = Reminder.objects.filter(session=s2).count()

    plan = propose_fit(
        patient=patient,
        protocol=clinic["protocols"]["ocrelizumab_iv"],
        dose_number=1,
        day=clinic_day,
    )
    assert plan is not None and plan.time_changes == 0
    # One of the two Tysabri sessions changes chair (either frees a chair for 09:00-13:15).
    assert len(plan.moves) == 1
    (row,) = plan.moves
    moved = row.session
    assert row.move.chair_changed and not row.move.time_changed
    assert plan.placement.timeline.start == at(clinic_day, 9)

    session = _apply(plan, patient, clinic)
    s1.refresh_from_db()
    s2.refresh_from_db()
    assert session.start == at(clinic_day, 9)
    assert (s1.start, s2.start) == (at(clinic_day, 11, 30), at(clinic_day, 9))
    assert {s1.chair_id, s2.chair_id, session.chair_id} == {a.pk, b.pk}
    moved.refresh_from_db()
    assert moved.chair_id == row.move.chair_after
    event = AuditEvent.objects.get(session=moved, action="fit_me_in_reassigned")
    assert event.before["chair_id"] == row.move.chair_before
    assert event.after["chair_id"] == row.move.chair_after
    # Patients notice nothing: no move notice, reminders untouched.
    assert not Reminder.objects.filter(kind=ReminderKind.RESCHEDULE).exists()
    assert Reminder.objects.filter(session=s2).count() == reminders_before
    assert stored_schedule_problems(clinic_day, clinic_day) == []


@pytest.fixture
def only_a_shift_helps(clinic, clinic_day, two_chairs, make_patient):
    a, b = two_chairs
    early = _tysabri(clinic, make_patient, a, at(clinic_day, 7, 15))
    late = _tysabri(clinic, make_patient, a, at(clinic_day, 11, 45))
    s2 = _tysabri(clinic, make_patient, b, at(clinic_day, 9))
    return early, late, s2, _needs_nine(make_patient, clinic_day.weekday())


def test_without_the_flag_no_time_moves(clinic, clinic_day, only_a_shift_helps):
    early, late, s2, patient = only_a_shift_helps
    assert _no_option(patient, clinic, clinic_day)
    plan = propose_fit(
        patient=patient,
        protocol=clinic["protocols"]["ocrelizumab_iv"],
        dose_number=1,
        day=clinic_day,
    )
    assert plan is None
    starts = dict(InfusionSession.objects.values_list("pk", "start"))
    assert starts[s2.pk] == at(clinic_day, 9) and starts[early.pk] == at(clinic_day, 7, 15)


def test_with_the_flag_an_unconfirmed_session_shifts_a_little_and_its_patient_is_told(
    clinic, clinic_day, only_a_shift_helps
):
    early, late, s2, patient = only_a_shift_helps
    plan = propose_fit(
        patient=patient,
        protocol=clinic["protocols"]["ocrelizumab_iv"],
        dose_number=1,
        day=clinic_day,
        allow_shift=True,
    )
    assert plan is not None and plan.time_changes >= 1
    limit = clinic["center"].fitmein_max_shift_minutes
    for m in plan.moves:
        assert abs((m.move.start_after - m.move.start_before).total_seconds()) <= limit * 60
    # Applying a time-changing proposal without the flag is refused, and changes nothing.
    with pytest.raises(SchedulingError):
        _apply(plan, patient, clinic, allow_shift=False)
    assert InfusionSession.objects.get(pk=s2.pk).start == at(clinic_day, 9)

    _apply(plan, patient, clinic, allow_shift=True)
    for m in plan.moves:
        s = InfusionSession.objects.get(pk=m.session.pk)
        assert s.start == m.move.start_after and s.chair_id == m.move.chair_after
        if m.move.time_changed:
            assert Reminder.objects.filter(session=s, kind=ReminderKind.RESCHEDULE).exists()
            assert AuditEvent.objects.filter(session=s, action="fit_me_in_moved").exists()
    assert stored_schedule_problems(clinic_day, clinic_day) == []


def test_a_confirmed_session_never_shifts(clinic, clinic_day, only_a_shift_helps):
    early, late, s2, patient = only_a_shift_helps
    for s in (early, late, s2):
        services.confirm(session=s)
    plan = propose_fit(
        patient=patient,
        protocol=clinic["protocols"]["ocrelizumab_iv"],
        dose_number=1,
        day=clinic_day,
        allow_shift=True,
    )
    assert plan is None


def test_a_day_that_changed_since_the_proposal_is_a_conflict(
    clinic, clinic_day, two_chairs, make_patient
):
    a, b = two_chairs
    _tysabri(clinic, make_patient, a, at(clinic_day, 11, 30))
    _tysabri(clinic, make_patient, b, at(clinic_day, 9))
    patient = _needs_nine(make_patient, clinic_day.weekday())
    plan = propose_fit(
        patient=patient,
        protocol=clinic["protocols"]["ocrelizumab_iv"],
        dose_number=1,
        day=clinic_day,
    )
    (row,) = plan.moves
    moved = row.session
    services.reschedule(session=moved, start=at(clinic_day, 16), chair=moved.chair)
    with pytest.raises(BookingConflict):
        _apply(plan, patient, clinic)
    assert not InfusionSession.objects.filter(patient=patient).exists()
    # A fresh proposal now fits without moving anyone.
    fresh = propose_fit(
        patient=patient,
        protocol=clinic["protocols"]["ocrelizumab_iv"],
        dose_number=1,
        day=clinic_day,
    )
    assert fresh is not None and fresh.moves == ()


def test_the_signed_proposal_round_trips(clinic, clinic_day, two_chairs, make_patient):
    from scheduling.planning.fit import read_plan

    a, b = two_chairs
    _tysabri(clinic, make_patient, a, at(clinic_day, 11, 30))
    _tysabri(clinic, make_patient, b, at(clinic_day, 9))
    patient = _needs_nine(make_patient, clinic_day.weekday())
    plan = propose_fit(
        patient=patient,
        protocol=clinic["protocols"]["ocrelizumab_iv"],
        dose_number=1,
        day=clinic_day,
    )
    data = read_plan(plan.token)
    assert data["moves"] == [m.move for m in plan.moves]
    assert data["start"] == plan.placement.timeline.start and data["shift"] is False
