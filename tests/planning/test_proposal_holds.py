"""A planner proposal sent to its patient holds its chair time: the slot search does not offer
it to anyone else until the release horizon, and offers it first to its own patient."""

import datetime as dt

import pytest
import time_machine

from scheduling.models import ProposalStatus
from scheduling.selectors import availability
from scheduling.services import planner
from tests.planning.conftest import today

pytestmark = [pytest.mark.django_db, pytest.mark.postgres]


def _offers_held_time(patient, p, protocol):
    day = p.start.date()
    slots = availability(
        patient=patient,
        protocol=protocol,
        dose_number=3,
        date_from=day - dt.timedelta(days=1),
        date_to=day + dt.timedelta(days=1),
        chair_id=p.chair_id,
        nurse_id=p.nurse_id,
        limit=400,
    )
    return any(s.start == p.start for s in slots), slots


def test_a_sent_proposal_holds_its_chair_time_until_the_release_horizon(
    due_ocrevus, make_staff, clinic
):
    protocol = clinic["protocols"]["ocrelizumab_iv"]
    holder = due_ocrevus(8)
    start = today() + dt.timedelta(days=1)
    run = planner.start_plan(
        date_from=start, date_to=start + dt.timedelta(days=20), time_limit=5, run_now=True
    )
    p = run.proposals.get()
    other = due_ocrevus(8)
    # reviewed but not sent: it holds nothing
    assert p.status == ProposalStatus.PROPOSED
    assert _offers_held_time(other, p, protocol)[0]
    planner.send_proposal(proposal=p, by=make_staff("front_desk"))
    p.refresh_from_db()
    assert p.status == ProposalStatus.SENT
    assert not _offers_held_time(other, p, protocol)[0]
    # its own patient is offered it, first among the options of that day
    found, slots = _offers_held_time(holder, p, protocol)
    assert found
    same_day = [s for s in slots if s.start.date() == p.start.date()]
    assert same_day[0].start == p.start
    # inside the release horizon (72 h before the day) anyone may take it
    with time_machine.travel(p.start - dt.timedelta(hours=60), tick=False):
        assert _offers_held_time(other, p, protocol)[0]


def test_a_hold_ends_when_its_patient_books(due_ocrevus, make_staff, clinic):
    protocol = clinic["protocols"]["ocrelizumab_iv"]
    due_ocrevus(8)
    start = today() + dt.timedelta(days=1)
    run = planner.start_plan(
        date_from=start, date_to=start + dt.timedelta(days=20), time_limit=5, run_now=True
    )
    p = planner.send_proposal(proposal=run.proposals.get(), by=make_staff("front_desk"))
    other = due_ocrevus(8)
    assert not _offers_held_time(other, p, protocol)[0]
    planner.book_proposal(proposal=p, by=make_staff("front_desk"))
    p.refresh_from_db()
    assert p.status != ProposalStatus.SENT
    # the booked session now holds the chair itself; the proposal keeps nothing extra
    from scheduling.planning.holds import held_chair_time
    from scheduling.world import load_world

    world = load_world(date_from=p.start.date(), date_to=p.start.date())
    assert held_chair_time(
        world=world, patient_id=other.pk, now=p.start - dt.timedelta(days=5)
    ) == (
        [],
        [],
    )
