"""The planning pages in a real browser (Chromium) against the live server on PostgreSQL.

Stories: a coordinator runs the planner over three weeks, reviews every proposal on one
screen, unticks one and books the rest; a coordinator on the phone opens the patient's week
view, sees which days fit (green / amber / grey), opens a day and books from it; the week
board. axe-core runs on each page; screenshots go to test-artifacts/screenshots/.
"""

from __future__ import annotations

import datetime as dt
import re

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import axe_check, screenshot, sign_in

pytestmark = [pytest.mark.e2e, pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_coordinator_plans_the_due_pipeline_and_books_the_chosen(
    new_page, clinic, make_staff, due_ocrevus, due_tysabri, settings, celery_eager
):
    from scheduling.models import InfusionSession, PlanProposal, ProposalStatus

    # the solve runs when the run is committed (celery_eager)
    make_staff("front_desk", username="coordinator")
    patients = [
        due_ocrevus(8, first_name="Olga", last_name="Ocrevus"),
        due_tysabri(5, first_name="Tom", last_name="Tysabri"),
        due_tysabri(6, first_name="Tina", last_name="Tysabri"),
    ]
    page = new_page()
    sign_in(page, "coordinator")
    page.get_by_role("link", name="Planner").click()
    expect(page.get_by_role("heading", name="Planner for the due pipeline")).to_be_visible()
    axe_check(page, "planner-empty")
    page.get_by_role("button", name="Plan the horizon").click()
    expect(page.locator("#plan-summary")).to_contain_text("3 of 3 due doses placed", timeout=60_000)
    rows = page.locator("tr.proposal")
    expect(rows).to_have_count(3)
    for p in patients:
        expect(page.get_by_role("link", name=p.full_name)).to_be_visible()
    axe_check(page, "planner-proposals")
    screenshot(page, "planner-proposals")

    page.get_by_label("Tina Tysabri").uncheck()
    page.get_by_role("button", name="Book the chosen").click()
    expect(page.get_by_text("Booked: 2.")).to_be_visible()
    expect(page.locator("tr.proposal-booked")).to_have_count(2)
    expect(page.locator("tr.proposal-proposed")).to_have_count(1)
    booked = {p.patient_id for p in PlanProposal.objects.filter(status=ProposalStatus.BOOKED)}
    assert booked == {patients[0].pk, patients[1].pk}
    assert InfusionSession.objects.filter(patient=patients[2], status="booked").count() == 0


def test_coordinator_books_from_the_patient_s_week_view(
    new_page, clinic, clinic_day, make_staff, make_patient
):
    from patients import availability
    from scheduling.models import InfusionSession

    make_staff("front_desk", username="coordinator")
    patient = make_patient(first_name="Wendy", last_name="Weekview")
    availability.set_availability(
        patient=patient,
        windows=[
            {"weekdays": [0, 2], "kind": "available", "strength": "must"},
            {"weekdays": [0], "kind": "available", "strength": "wish"},
        ],
        preferred_minute=9 * 60,
        short_notice_ok=False,
    )
    page = new_page()
    sign_in(page, "coordinator")
    page.goto(
        f"/book/?patient={patient.pk}&protocol=ocrelizumab_iv&dose_number=1"
        f"&date_from={clinic_day.isoformat()}&date_to={(clinic_day + dt.timedelta(days=6)).isoformat()}"
        "&searched=1"
    )
    week = page.locator(".week-view")
    expect(week).to_be_visible()
    monday = page.locator(f'li.week-day[data-day="{clinic_day.isoformat()}"]')
    wednesday = page.locator(
        f'li.week-day[data-day="{(clinic_day + dt.timedelta(days=2)).isoformat()}"]'
    )
    tuesday = page.locator(
        f'li.week-day[data-day="{(clinic_day + dt.timedelta(days=1)).isoformat()}"]'
    )
    expect(monday).to_have_attribute("data-state", "green")
    expect(wednesday).to_have_attribute("data-state", "amber")
    expect(tuesday).to_have_attribute("data-state", "grey")
    # Every option offered is on a day the patient can come.
    for start in page.locator("li.slot").evaluate_all("els => els.map(e => e.dataset.start)"):
        assert dt.datetime.fromisoformat(start).weekday() in (0, 2)
    axe_check(page, "book-week-view")
    screenshot(page, "book-week-view")

    wednesday.get_by_role("button").click()
    options = page.locator("#week-day-options li.slot")
    expect(options.first).to_be_visible()
    starts = options.evaluate_all("els => els.map(e => e.dataset.start)")
    assert {dt.datetime.fromisoformat(s).date() for s in starts} == {
        clinic_day + dt.timedelta(days=2)
    }
    options.first.get_by_role("button", name=re.compile("^Book")).click()
    expect(page.get_by_role("heading", name=re.compile("[Bb]ooked"))).to_be_visible()
    session = InfusionSession.objects.get(patient=patient)
    assert session.start.isoformat() == starts[0] or session.start == dt.datetime.fromisoformat(
        starts[0]
    )


def test_week_board_in_the_browser(new_page, clinic, clinic_day, make_staff, make_patient):
    from scheduling import services
    from tests.conftest import at

    make_staff("front_desk", username="coordinator")
    for hour in (8, 10, 12):
        services.book_session(
            patient=make_patient(),
            protocol=clinic["protocols"]["natalizumab"],
            dose_number=1,
            start=at(clinic_day, hour),
        )
    page = new_page()
    sign_in(page, "coordinator")
    page.goto(f"/week/?date={clinic_day.isoformat()}")
    expect(page.get_by_role("heading", name=re.compile("Week of"))).to_be_visible()
    expect(page.locator("svg.curve polyline.line-booked").first).to_be_visible()
    expect(page.get_by_text("3 sessions")).to_be_visible()
    axe_check(page, "week-board")
    screenshot(page, "week-board")
