"""The planner screen: run over a horizon, every proposal on one screen, book the chosen or
send them; a slot someone else took comes back as a 409 with the fresh proposal highlighted."""

import datetime as dt

import pytest
from django.urls import reverse

from scheduling.models import PlanProposal, PlanRun, ProposalStatus
from scheduling.services import planner
from tests.planning.conftest import today

pytestmark = [pytest.mark.django_db, pytest.mark.postgres]


def _horizon():
    start = today() + dt.timedelta(days=1)
    return start, start + dt.timedelta(days=20)


def test_run_review_and_book_from_one_screen(
    login, front_desk, due_ocrevus, due_tysabri, django_capture_on_commit_callbacks, celery_eager
):
    patients = [due_ocrevus(8), due_tysabri(5)]
    client = login(front_desk)
    page = client.get(reverse("planner"))
    assert page.status_code == 200 and 'id="run-planner"' in page.content.decode()
    start, end = _horizon()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("planner"),
            {"date_from": start.isoformat(), "date_to": end.isoformat(), "time_limit": "5"},
        )
    assert response.status_code == 302
    run = PlanRun.objects.get()
    assert run.status == "done", run.message
    page = client.get(response["Location"]).content.decode()
    for p in patients:
        assert p.full_name in page
    assert page.count('name="proposal"') == 2 and "Book the chosen" in page
    progress = client.get(reverse("planner_progress", args=[run.pk]), HTTP_HX_REQUEST="true")
    assert progress["HX-Refresh"] == "true"

    proposals = list(run.proposals.all())
    data = {"action": "book", "proposal": [str(p.pk) for p in proposals]}
    data.update({f"seen_{p.pk}": p.start.isoformat() for p in proposals})
    done = client.post(reverse("planner_apply", args=[run.pk]), data)
    assert done.status_code == 302
    assert set(run.proposals.values_list("status", flat=True)) == {ProposalStatus.BOOKED}
    assert "Booked: 2." in client.get(done["Location"]).content.decode()


def test_a_taken_slot_answers_409_with_the_fresh_proposal_highlighted(
    login, front_desk, due_ocrevus
):
    x, y = due_ocrevus(8), due_ocrevus(8)
    start, end = _horizon()
    run1 = planner.start_plan(date_from=start, date_to=end, time_limit=5, run_now=True)
    run2 = planner.start_plan(date_from=start, date_to=end, time_limit=5, run_now=True)
    p1 = run1.proposals.get(patient=x)
    p2 = run2.proposals.get(patient=y)
    PlanProposal.objects.filter(pk=p2.pk).update(start=p1.start, chair=p1.chair, nurse=p1.nurse)
    planner.book_proposal(proposal=p1, by=front_desk)

    client = login(front_desk)
    response = client.post(
        reverse("planner_apply", args=[run2.pk]),
        {"action": "book", "proposal": [str(p2.pk)], f"seen_{p2.pk}": p1.start.isoformat()},
    )
    assert response.status_code == 409
    html = response.content.decode()
    assert "Fresh proposals are highlighted" in html
    assert f'class="proposal proposal-proposed fresh" data-proposal="{p2.pk}"' in html
    fresh = PlanProposal.objects.get(pk=p2.pk)
    assert fresh.status == ProposalStatus.PROPOSED and fresh.start != p1.start


def test_sending_marks_the_proposals_and_needs_a_way_to_reach_the_patient(
    login, front_desk, due_ocrevus
):
    reachable = due_ocrevus(8)
    unreachable = due_ocrevus(9, email="", mobile="")
    start, end = _horizon()
    run = planner.start_plan(date_from=start, date_to=end, time_limit=5, run_now=True)
    ids = [str(p.pk) for p in run.proposals.all()]
    response = login(front_desk).post(
        reverse("planner_apply", args=[run.pk]), {"action": "send", "proposal": ids}, follow=True
    )
    html = response.content.decode()
    assert "Sent to the patient: 1." in html and "cannot be reached" in html
    assert run.proposals.get(patient=reachable).status == ProposalStatus.SENT
    assert run.proposals.get(patient=unreachable).status == ProposalStatus.PROPOSED


def test_a_bad_horizon_is_shown_in_place(login, front_desk, clinic):
    response = login(front_desk).post(
        reverse("planner"),
        {
            "date_from": today().isoformat(),
            "date_to": (today() + dt.timedelta(days=90)).isoformat(),
        },
    )
    assert response.status_code == 400 and "Plan at most 42 days" in response.content.decode()


def test_nurses_do_not_plan(login, nurse_user):
    assert login(nurse_user).get(reverse("planner")).status_code == 403
