"""Templates and the planner over the API: managers build and publish templates, bookers run
the planner and book proposals (409 with a fresh proposal when the slot was taken)."""

import datetime as dt

import pytest

from scheduling.models import PlanProposal, TemplateStatus, WeeklyTemplate
from tests.planning.conftest import today

pytestmark = [pytest.mark.django_db, pytest.mark.postgres]


@pytest.fixture
def draft(clinic):
    row = WeeklyTemplate.objects.create(
        name="Draft", slot_minutes=15, hours={str(d): ["07:00", "19:00"] for d in range(5)}
    )
    row.starts.create(weekday=0, start="07:00", duration_class="gt4h", count=2)
    return row


def test_templates_are_read_by_staff_and_published_by_managers(client_as, draft):
    nurse, manager = client_as("nurse"), client_as("manager")
    listed = nurse.get("/api/templates/").json()
    assert listed[0]["starts"] == [
        {"weekday": 0, "start": "07:00", "duration_class": "gt4h", "count": 2}
    ]
    assert nurse.post(f"/api/templates/{draft.pk}/publish/").status_code == 403
    body = {"starts": [{"weekday": 1, "start": "08:30", "duration_class": "le1h", "count": 4}]}
    updated = manager.put(f"/api/templates/{draft.pk}/", body, format="json")
    assert updated.status_code == 200, updated.json()
    assert updated.json()["starts"] == [
        {"weekday": 1, "start": "08:30", "duration_class": "le1h", "count": 4}
    ]
    published = manager.post(f"/api/templates/{draft.pk}/publish/")
    assert published.status_code == 200 and published.json()["status"] == "published"
    again = manager.put(f"/api/templates/{draft.pk}/", body, format="json")
    assert again.status_code == 409 and again.json()["code"] == "conflict"
    assert WeeklyTemplate.objects.get().status == TemplateStatus.PUBLISHED


def test_a_bad_template_cell_is_a_400(client_as, draft):
    manager = client_as("manager")
    for cell in (
        {"weekday": 0, "start": "07:07", "duration_class": "le1h", "count": 1},
        {"weekday": 0, "start": "07:00", "duration_class": "tiny", "count": 1},
        {"weekday": 6, "start": "07:00", "duration_class": "le1h", "count": 1},
    ):
        response = manager.put(f"/api/templates/{draft.pk}/", {"starts": [cell]}, format="json")
        assert response.status_code == 400, cell


def test_run_the_planner_and_book_a_proposal(
    desk, due_ocrevus, django_capture_on_commit_callbacks, celery_eager
):
    due_ocrevus(8)
    start = today() + dt.timedelta(days=1)
    body = {
        "date_from": start.isoformat(),
        "date_to": (start + dt.timedelta(days=20)).isoformat(),
        "time_limit": 5,
    }
    with django_capture_on_commit_callbacks(execute=True):
        created = desk.post("/api/planner/runs/", body, format="json")
    assert created.status_code == 202, created.json()
    run = desk.get(f"/api/planner/runs/{created.json()['id']}/").json()
    assert run["status"] == "done" and len(run["proposals"]) == 1
    proposal = run["proposals"][0]
    booked = desk.post(
        f"/api/planner/proposals/{proposal['id']}/book/",
        {"expected_start": proposal["start"]},
        format="json",
    )
    assert booked.status_code == 200 and booked.json()["status"] == "booked"
    assert booked.json()["session"]
    twice = desk.post(f"/api/planner/proposals/{proposal['id']}/book/", {}, format="json")
    assert twice.status_code == 409


def test_a_taken_proposal_is_a_409_with_a_fresh_one(desk, due_ocrevus, clinic, make_patient):
    from scheduling import services
    from scheduling.services import planner

    due_ocrevus(8)
    start = today() + dt.timedelta(days=1)
    run = planner.start_plan(
        date_from=start, date_to=start + dt.timedelta(days=20), time_limit=5, run_now=True
    )
    p = run.proposals.get()
    services.book_session(
        patient=make_patient(),
        protocol=clinic["protocols"]["ocrelizumab_iv"],
        dose_number=1,
        start=p.start,
        chair=p.chair,
        nurse=p.nurse,
    )
    response = desk.post(f"/api/planner/proposals/{p.pk}/book/", {}, format="json")
    assert response.status_code == 409
    body = response.json()
    assert body["code"] == "conflict" and body["proposal"]["id"] == p.pk
    fresh = PlanProposal.objects.get(pk=p.pk)
    assert fresh.start != p.start and body["proposal"]["status"] in ("proposed", "unplaced")


def test_nurses_cannot_run_the_planner(client_as, clinic):
    nurse = client_as("nurse")
    response = nurse.post(
        "/api/planner/runs/",
        {"date_from": today().isoformat(), "date_to": today().isoformat()},
        format="json",
    )
    assert response.status_code == 403
