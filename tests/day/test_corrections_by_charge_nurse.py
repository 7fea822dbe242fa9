"""A charge nurse or a manager corrects a wrong no-show, check-in or completion with a reason
(audited); nobody else can."""

import pytest
import time_machine

from scheduling import services
from scheduling.exceptions import BookingConflict, InvalidTransition, NotPermitted, SchedulingError
from scheduling.models import AuditEvent
from tests.conftest import at

pytestmark = [pytest.mark.postgres, pytest.mark.django_db]


@pytest.fixture
def no_show(book_on, clinic_day, nurse):
    session = book_on(9)
    with time_machine.travel(at(clinic_day, 10), tick=False):
        services.mark_no_show(session=session, by=nurse)
    return session


def test_the_charge_nurse_undoes_a_wrong_no_show(no_show, clinic_day, charge_nurse, nurse):
    with time_machine.travel(at(clinic_day, 10, 30), tick=False):
        fixed = services.correct_session(
            session=no_show,
            correction="no_show",
            reason="She was in the waiting room",
            by=charge_nurse,
        )
        assert fixed.status == "booked" and fixed.no_show_at is None
        # The patient can now be checked in at the time she really arrived.
        services.check_in(session=fixed, by=nurse, at=at(clinic_day, 8, 55))
    event = AuditEvent.objects.get(session=no_show, action="corrected_no_show")
    assert event.actor == charge_nurse
    assert event.reason == "She was in the waiting room"
    assert event.before["status"] == "no_show" and event.before["no_show_at"]
    assert event.after["status"] == "booked" and event.after["no_show_at"] is None


def test_a_nurse_and_the_front_desk_cannot_correct(no_show, nurse, make_staff):
    for user in (nurse, make_staff("front_desk")):
        with pytest.raises(NotPermitted):
            services.correct_session(
                session=no_show, correction="no_show", reason="mistake", by=user
            )
    no_show.refresh_from_db()
    assert no_show.status == "no_show"
    assert not AuditEvent.objects.filter(action__startswith="corrected").exists()


def test_a_correction_needs_a_reason_and_the_right_state(no_show, charge_nurse):
    with pytest.raises(SchedulingError, match="Say why"):
        services.correct_session(session=no_show, correction="no_show", reason=" ", by=charge_nurse)
    with pytest.raises(InvalidTransition, match="not completed"):
        services.correct_session(
            session=no_show, correction="completion", reason="x", by=charge_nurse
        )


def test_a_manager_undoes_a_wrong_check_in_and_a_wrong_completion(
    book_on, clinic_day, nurse, make_staff
):
    manager = make_staff("manager")
    wrong_arrival, wrong_completion = book_on(9), book_on(9, chair=1)
    with time_machine.travel(at(clinic_day, 9), tick=False):
        services.check_in(session=wrong_arrival, by=nurse)
        services.check_in(session=wrong_completion, by=nurse)
        services.start_infusion(session=wrong_completion, by=nurse)
        services.complete(session=wrong_completion, by=nurse)
        undone = services.correct_session(
            session=wrong_arrival, correction="check_in", reason="Wrong patient", by=manager
        )
        reopened = services.correct_session(
            session=wrong_completion,
            correction="completion",
            reason="Still in observation",
            by=manager,
        )
    assert undone.status == "booked" and undone.checked_in_at is None
    assert reopened.status == "in_chair" and reopened.completed_at is None
    assert reopened.started_at == at(clinic_day, 9)
    assert AuditEvent.objects.filter(action__startswith="corrected_", actor=manager).count() == 2


def test_an_undone_no_show_whose_chair_was_given_away_is_a_conflict(
    no_show, book_on, clinic_day, charge_nurse
):
    # The chair was given to a walk-in once the patient was marked no-show.
    from scheduling.models import InfusionSession

    taken = book_on(14, chair=0)
    InfusionSession.objects.filter(pk=taken.pk).update(
        start=no_show.start,
        premed_start=no_show.premed_start,
        infusion_start=no_show.infusion_start,
        infusion_end=no_show.infusion_end,
        observation_end=no_show.observation_end,
        chair_release_at=no_show.chair_release_at,
    )
    with pytest.raises(BookingConflict):
        services.correct_session(
            session=no_show, correction="no_show", reason="mistake", by=charge_nurse
        )


def test_the_api_lets_only_correctors_correct(no_show, api_for, nurse, charge_nurse):
    url = f"/api/sessions/{no_show.pk}/correct/"
    body = {"correction": "no_show", "reason": "Arrived late, seen"}
    assert api_for(nurse).post(url, body, format="json").status_code == 403
    response = api_for(charge_nurse).post(url, body, format="json")
    assert response.status_code == 200, response.json()
    assert response.json()["status"] == "booked"
