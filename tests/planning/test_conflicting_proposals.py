"""Two coordinators apply conflicting proposals at the same moment: one wins, the other gets
a 409 and a fresh proposal (a new slot for the same patient), never a double booking.

Two planner runs made before either coordinator booked can place two patients in the same
chair at the same time (each run sees only the bookings that exist). Real threads, each with
its own PostgreSQL connection, released together by a barrier.
"""

import datetime as dt
import threading

import pytest
from django.db import close_old_connections, connection

from scheduling.exceptions import BookingConflict
from scheduling.models import InfusionSession, PlanProposal, PlanRun, ProposalStatus
from scheduling.services import planner
from tests.planning.conftest import stored_schedule_problems, today

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def _two_runs_same_slot(due_ocrevus):
    """Run the planner for X and for Y; make Y's proposal claim X's chair and time, as a run
    made by a second coordinator before the first booked could."""
    x, y = due_ocrevus(8), due_ocrevus(8)
    start = today() + dt.timedelta(days=1)
    end = start + dt.timedelta(days=20)
    run1 = planner.start_plan(date_from=start, date_to=end, time_limit=5, run_now=True)
    run2 = planner.start_plan(date_from=start, date_to=end, time_limit=5, run_now=True)
    p1 = run1.proposals.get(patient=x)
    p2 = run2.proposals.get(patient=y)
    PlanProposal.objects.filter(pk=p2.pk).update(
        start=p1.start, observation_end=p1.observation_end, chair=p1.chair, nurse=p1.nurse
    )
    p2.refresh_from_db()
    return p1, p2


def test_one_wins_the_other_gets_a_conflict_and_a_fresh_proposal(clinic, due_ocrevus, make_staff):
    p1, p2 = _two_runs_same_slot(due_ocrevus)
    desks = [make_staff("front_desk"), make_staff("front_desk")]
    barrier = threading.Barrier(2)
    outcomes: dict[int, object] = {}

    def coordinator(i, proposal):
        try:
            barrier.wait(timeout=30)
            planner.book_proposal(proposal=proposal, by=desks[i], expected_start=proposal.start)
            outcomes[i] = "booked"
        except BookingConflict as exc:
            outcomes[i] = exc
        except Exception as exc:  # noqa: BLE001 - anything else fails below
            outcomes[i] = f"error: {type(exc).__name__}: {exc}"
        finally:
            close_old_connections()
            connection.close()

    threads = [
        threading.Thread(target=coordinator, args=(0, p1)),
        threading.Thread(target=coordinator, args=(1, p2)),
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)

    assert sorted(str(type(o).__name__) for o in outcomes.values()) == [
        "BookingConflict",
        "str",
    ], outcomes
    loser_i = next(i for i, o in outcomes.items() if isinstance(o, BookingConflict))
    loser = (p1, p2)[loser_i]
    winner = (p1, p2)[1 - loser_i]
    fresh = outcomes[loser_i].proposal
    assert fresh.pk == loser.pk and fresh.status == ProposalStatus.PROPOSED
    assert fresh.start is not None and (fresh.start, fresh.chair_id) != (
        loser.start,
        loser.chair_id,
    )
    assert PlanProposal.objects.get(pk=winner.pk).status == ProposalStatus.BOOKED
    slot_taken = InfusionSession.objects.filter(start=winner.start, chair_id=winner.chair_id)
    assert slot_taken.count() == 1

    # The fresh proposal books.
    planner.book_proposal(proposal=fresh, by=desks[loser_i], expected_start=fresh.start)
    assert PlanProposal.objects.get(pk=loser.pk).status == ProposalStatus.BOOKED
    assert stored_schedule_problems(today(), today() + dt.timedelta(days=40)) == []
    assert PlanRun.objects.count() == 2


def test_booking_what_you_saw_after_it_was_refreshed_is_a_conflict(clinic, due_ocrevus, make_staff):
    p1, p2 = _two_runs_same_slot(due_ocrevus)
    desk = make_staff("front_desk")
    planner.book_proposal(proposal=p1, by=desk)
    with pytest.raises(BookingConflict):
        planner.book_proposal(proposal=p2, by=desk, expected_start=p2.start)
    refreshed = PlanProposal.objects.get(pk=p2.pk)
    assert refreshed.start != p2.start
    # Booking again with the old start the coordinator saw is refused: look first.
    with pytest.raises(BookingConflict) as info:
        planner.book_proposal(proposal=refreshed, by=desk, expected_start=p2.start)
    assert "new slot" in str(info.value)
