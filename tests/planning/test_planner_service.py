"""The due-pipeline planner through the services: every due patient gets a proposal inside
their availability, bookings made from proposals keep every rule of DESIGN §4."""

import datetime as dt

import pytest

from patients import availability
from scheduling.models import PlanRunStatus, ProposalStatus
from scheduling.services import planner
from scheduling.world import center_tz
from tests.planning.conftest import stored_schedule_problems, today

pytestmark = [pytest.mark.django_db, pytest.mark.postgres]


def _run(days=21, limit=10):
    start = today() + dt.timedelta(days=1)
    return planner.start_plan(
        date_from=start, date_to=start + dt.timedelta(days=days - 1), time_limit=limit, run_now=True
    )


def test_every_due_patient_gets_a_slot_inside_their_windows(due_ocrevus, due_tysabri):
    thursday_only = due_ocrevus(8)
    availability.set_availability(
        patient=thursday_only,
        windows=[{"weekdays": [3], "start": "07:00", "end": "14:00"}],
        preferred_minute=7 * 60,
        short_notice_ok=False,
    )
    others = [due_ocrevus(9), due_tysabri(5), due_tysabri(6)]
    run = _run()
    assert run.status == PlanRunStatus.DONE, run.message
    proposals = {p.patient_id: p for p in run.proposals.all()}
    assert set(proposals) == {thursday_only.pk, *(p.pk for p in others)}
    assert all(p.status == ProposalStatus.PROPOSED for p in proposals.values())
    mine = proposals[thursday_only.pk]
    local = mine.start.astimezone(center_tz())
    assert local.weekday() == 3 and local.hour * 60 + local.minute >= 7 * 60
    assert mine.observation_end.astimezone(center_tz()).hour * 60 <= 14 * 60
    assert run.stats["requests"] == 4 and run.stats["proposed"] == 4


def test_booking_proposals_stores_a_valid_schedule(due_ocrevus, due_tysabri, make_staff):
    for i in range(4):
        due_ocrevus(8 + i)
        due_tysabri(4 + i)
    desk = make_staff("front_desk")
    run = _run()
    booked = [
        planner.book_proposal(proposal=p, by=desk, expected_start=p.start)
        for p in run.proposals.filter(status=ProposalStatus.PROPOSED)
    ]
    assert len(booked) == 8
    assert all(p.status == ProposalStatus.BOOKED and p.session_id for p in booked)
    for p in booked:
        assert p.session.start == p.start and p.session.dose_number == p.dose_number
    first = today()
    assert stored_schedule_problems(first, first + dt.timedelta(days=40)) == []


def test_a_booked_patient_is_not_planned_again(due_ocrevus, make_staff):
    due_ocrevus(8)
    run = _run()
    planner.book_proposal(proposal=run.proposals.get(), by=make_staff("front_desk"))
    again = _run()
    assert again.proposals.count() == 0 and again.stats["requests"] == 0


def test_booking_a_settled_proposal_twice_is_a_conflict(due_ocrevus, make_staff):
    due_ocrevus(8)
    desk = make_staff("front_desk")
    p = _run().proposals.get()
    planner.book_proposal(proposal=p, by=desk)
    with pytest.raises(planner.BookingConflict) as info:
        planner.book_proposal(proposal=p, by=desk)
    assert info.value.conflicts[0]["rule"] == "state"


def test_a_bad_horizon_is_refused():
    with pytest.raises(planner.SchedulingError):
        planner.start_plan(date_from=today() - dt.timedelta(days=1), date_to=today())
    with pytest.raises(planner.SchedulingError):
        planner.start_plan(date_from=today(), date_to=today() + dt.timedelta(days=60))


@pytest.mark.treatment_orders
def test_without_an_active_order_the_proposal_waits_for_one(due_ocrevus, make_staff):
    """With the order rule on, a proposal for a patient without an order is refused with the
    reason (409, code order) and keeps its slot: a new slot would not help."""
    from orders import services as orders_services
    from scheduling.models import Protocol

    patient = due_ocrevus(8)
    desk = make_staff("front_desk")
    p = _run().proposals.get()
    with pytest.raises(planner.BookingConflict) as info:
        planner.book_proposal(proposal=p, by=desk)
    assert info.value.code == "order"
    still = type(p).objects.get(pk=p.pk)
    assert still.status == ProposalStatus.PROPOSED and still.start == p.start
    orders_services.create_order(
        patient=patient,
        protocol=Protocol.objects.get(code="ocrelizumab_iv"),
        provider="Dr Rivera",
        signed_on=today() - dt.timedelta(days=7),
        expires_on=today() + dt.timedelta(days=365),
        doses=4,
    )
    with pytest.raises(planner.BookingConflict) as info:
        planner.book_proposal(proposal=still, by=desk)
    assert info.value.code == "authorization"  # Ocrevus needs one too
    booked = planner.book_proposal(
        proposal=still, by=desk, override_reason="Authorization requested from the payer"
    )
    assert booked.status == ProposalStatus.BOOKED and booked.session.start == p.start
