"""The staff pages in a real browser (Chromium) against the live server on PostgreSQL.

Stories: a coordinator books an Ocrevus induction series for a new patient; two coordinators
race for one slot; a nurse checks a patient in from the roster and prints it; a manager opens
utilization. axe-core runs on each main page; screenshots go to test-artifacts/screenshots/.
"""

from __future__ import annotations

import datetime as dt
import re

import pytest
import time_machine
from playwright.sync_api import expect

from tests.conftest import TZ, at
from tests.e2e.conftest import AXE_RESULTS, axe_check, screenshot, sign_in

pytestmark = [pytest.mark.e2e, pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def _book(patient, protocol, start, by, dose=1):
    from scheduling import services

    return services.book_session(
        patient=patient, protocol=protocol, dose_number=dose, start=start, by=by
    )


def _due_patient(make_patient, clinic):
    """A natalizumab patient whose last dose was 4 weeks ago: due now, not booked."""
    from django.utils import timezone

    from scheduling import services

    patient = make_patient(first_name="Dana", last_name="Duepatient")
    day = timezone.now().astimezone(TZ).date() - dt.timedelta(days=27)
    services.record_past_dose(
        patient=patient,
        protocol=clinic["protocols"]["natalizumab"],
        dose_number=1,
        chair=clinic["chairs"][0],
        start=dt.datetime.combine(day, dt.time(9), tzinfo=TZ),
    )
    return patient


def test_coordinator_books_ocrevus_series_for_new_patient(
    new_page, clinic, clinic_day, make_staff, make_patient
):
    from scheduling.models import InfusionSession

    make_staff("front_desk", username="coordinator")
    other = make_patient(first_name="Omar", last_name="Existing")
    _book(other, clinic["protocols"]["natalizumab"], at(clinic_day, 9), None)
    _due_patient(make_patient, clinic)
    page = new_page()

    page.goto("/board/")
    expect(page).to_have_url(re.compile(r"/login/\?next=/board/"))
    axe_check(page, "login")
    screenshot(page, "01-login")
    sign_in(page, "coordinator")
    expect(page).to_have_url(re.compile(r"/board/$"))

    page.goto(f"/board/?date={clinic_day.isoformat()}")
    expect(page.locator("button.block")).to_have_count(1)
    page.locator("button.block").first.click()
    expect(page.locator("#panel")).to_contain_text("Omar Existing")
    expect(page.locator("#panel")).to_contain_text("Labs missing")
    axe_check(page, "board")
    screenshot(page, "02-board-with-panel")

    page.get_by_role("link", name="Due worklist").click()
    expect(page.get_by_role("link", name="Duepatient, Dana")).to_be_visible()
    axe_check(page, "due")
    screenshot(page, "03-due-worklist")
    # One click from the worklist into find-and-book, protocol and dose prefilled, options listed.
    page.get_by_role("link", name=re.compile("Find a slot for Dana")).click()
    expect(page.get_by_label("Protocol")).to_have_value("natalizumab")
    expect(page.get_by_label("Dose number")).to_have_value("2")
    expect(page.locator(".slot").first).to_be_visible()

    # A new patient: search finds nobody, register, go straight on to booking.
    page.get_by_role("link", name="Find & book").click()
    page.get_by_label("Patient name or MRN").fill("Quinn")
    expect(page.locator("#patient-results")).to_contain_text("No patient matches")
    page.get_by_role("link", name="New patient").first.click()
    page.get_by_role("button", name="Save and find a slot").click()  # empty form: errors in place
    expect(page.locator(".errorlist").first).to_be_visible()
    page.locator("#id_mrn").fill("MRN-QUINN")
    page.locator("#id_first_name").fill("Riley")
    page.locator("#id_last_name").fill("Quinn")
    page.locator("#id_date_of_birth").fill("1985-04-12")
    page.locator("#id_email").fill("riley.quinn@example.org")
    page.locator("#id_mobile").fill("(617) 555-0142")
    page.get_by_role("button", name="Save and find a slot").click()
    expect(page.locator(".messages")).to_contain_text("Riley Quinn (MRN-QUINN) is registered")

    page.get_by_label("Protocol").select_option("ocrelizumab_iv")
    page.locator("#id_date_from").fill(clinic_day.isoformat())
    page.locator("#id_date_to").fill((clinic_day + dt.timedelta(days=4)).isoformat())
    page.get_by_label(re.compile("Book the whole series")).check()
    page.get_by_role("button", name="Find options").click()
    expect(
        page.get_by_role("heading", name=re.compile("Options for the whole series"))
    ).to_be_visible()
    first = page.locator(".slot").first
    expect(first).to_contain_text("Dose 1")
    expect(first).to_contain_text("Dose 2")
    axe_check(page, "find-and-book")
    screenshot(page, "04-find-and-book-options")

    first.get_by_role("button", name=re.compile("Book")).click()
    expect(page.locator("#confirmation")).to_contain_text("Riley Quinn")
    expect(page.locator("#confirmation")).to_contain_text("the whole series of 2 doses")
    screenshot(page, "05-booking-confirmation")
    sessions = list(InfusionSession.objects.filter(patient__mrn="MRN-QUINN").order_by("start"))
    assert [s.dose_number for s in sessions] == [1, 2]
    assert (
        sessions[1].start.astimezone(TZ).date() - sessions[0].start.astimezone(TZ).date()
    ).days == 14
    assert sessions[0].series_id == sessions[1].series_id is not None

    page.get_by_role("link", name="Patient page").click()
    expect(page.get_by_role("heading", name="Upcoming sessions")).to_be_visible()
    expect(page.locator("body")).to_contain_text("Hepatitis B")
    axe_check(page, "patient")
    screenshot(page, "06-patient-page")


def test_two_coordinators_race_for_the_same_slot(
    new_page, clinic, clinic_day, make_staff, make_patient
):
    from scheduling.models import InfusionSession

    make_staff("front_desk", username="desk_a")
    make_staff("front_desk", username="desk_b")
    first, second = make_patient(last_name="Alpha"), make_patient(last_name="Beta")
    pages = []
    for username, patient in (("desk_a", first), ("desk_b", second)):
        page = new_page()
        sign_in(page, username)
        page.goto(
            f"/book/?patient={patient.pk}&protocol=natalizumab&searched=1"
            f"&date_from={clinic_day.isoformat()}&date_to={clinic_day.isoformat()}"
        )
        expect(page.locator(".slot").first).to_be_visible()
        pages.append(page)
    page_a, page_b = pages

    def first_option(page):
        slot = page.locator(".slot").first
        return slot.get_attribute("data-start"), slot.get_attribute("data-chair")

    taken = first_option(page_a)
    assert first_option(page_b) == taken  # both coordinators look at the same best option

    page_a.locator(".slot").first.get_by_role("button", name=re.compile("Book")).click()
    expect(page_a.locator("#confirmation")).to_contain_text("Alpha")

    page_b.locator(".slot").first.get_by_role("button", name=re.compile("Book")).click()
    expect(page_b.locator("#conflict")).to_contain_text("That option was just taken.")
    expect(page_b.locator("#conflict")).to_contain_text("Here are fresh options")
    fresh = page_b.locator(".slot")
    expect(fresh.first).to_be_visible()
    offered = [
        (fresh.nth(i).get_attribute("data-start"), fresh.nth(i).get_attribute("data-chair"))
        for i in range(fresh.count())
    ]
    assert offered and taken not in offered  # a fresh list, without the option just taken
    screenshot(page_b, "07-race-loser-conflict")
    assert InfusionSession.objects.filter(patient=second).count() == 0
    # The loser books one of the fresh options at once.
    fresh.first.get_by_role("button", name=re.compile("Book")).click()
    expect(page_b.locator("#confirmation")).to_contain_text("Beta")
    assert InfusionSession.objects.filter(patient=second).count() == 1


def test_nurse_opens_roster_checks_in_and_prints(
    new_page, clinic, clinic_day, make_staff, make_patient, request
):
    from scheduling.models import InfusionSession

    user = make_staff("nurse", username="nurse_kim", first_name="Kim", last_name="Lee")
    nurse = clinic["nurses"][1]  # natalizumab REMS nurse
    nurse.user = user
    nurse.save(update_fields=["user"])
    front = make_staff("front_desk")
    nat = clinic["protocols"]["natalizumab"]
    booked = [
        _book(make_patient(last_name=name), nat, at(clinic_day, h, m), front)
        for name, h, m in (("Ames", 8, 0), ("Baker", 9, 0), ("Chen", 10, 30))
    ]
    # The morning of the clinic day: check-in is open only on the session's own day.
    traveller = time_machine.travel(at(clinic_day, 7, 30), tick=True)
    traveller.start()
    request.addfinalizer(traveller.stop)
    page = new_page()
    sign_in(page, "nurse_kim")
    expect(page).to_have_url(re.compile(r"/roster/$"))
    refused = page.goto("/book/")
    # The styled 403 page: the status, and a sentence with a way back (not a bare "403").
    assert refused.status == 403
    expect(page.locator("body")).to_contain_text("this page belongs to another role")
    page.goto(f"/roster/?date={clinic_day.isoformat()}")
    rows = page.locator("tbody tr")
    expect(rows).to_have_count(3)
    expect(rows.nth(0)).to_contain_text("Ames")  # arrival order
    expect(rows.nth(2)).to_contain_text("Chen")
    expect(rows.nth(0)).to_contain_text("Labs missing")
    expect(rows.nth(0)).to_contain_text("REMS")
    axe_check(page, "roster")

    page.get_by_role("button", name=f"Check in {booked[0].patient.full_name}").click()
    expect(page.locator(f"#roster-{booked[0].pk}")).to_contain_text("Checked in")
    expect(
        page.locator(f"#roster-{booked[0].pk}").get_by_role("button", name=re.compile("^Start"))
    ).to_be_visible()
    assert InfusionSession.objects.get(pk=booked[0].pk).status == "checked_in"
    screenshot(page, "08-roster")

    # Print: the button calls window.print(); print CSS hides navigation and buttons; one A4 page.
    page.evaluate("window.__printed = false; window.print = () => { window.__printed = true; }")
    page.get_by_role("button", name="Print").click()
    assert page.evaluate("window.__printed") is True
    page.emulate_media(media="print")
    expect(page.locator("header.topbar")).to_be_hidden()
    expect(page.locator("td .actions").first).to_be_hidden()
    screenshot(page, "09-roster-print")
    for paper in ("A4", "Letter"):
        pdf = page.pdf(format=paper, print_background=True)
        pages = len(re.findall(rb"/Type\s*/Page[^s]", pdf))
        assert pages == 1, f"{paper}: {pages} pages"


def test_manager_opens_utilization(new_page, clinic, clinic_day, make_staff, make_patient):
    make_staff("manager", username="boss")
    ocr, nat = clinic["protocols"]["ocrelizumab_iv"], clinic["protocols"]["natalizumab"]
    for i in range(4):
        _book(make_patient(), ocr, at(clinic_day, 7 + i), None)
        _book(make_patient(), nat, at(clinic_day + dt.timedelta(days=1), 8 + i), None)
    page = new_page()
    sign_in(page, "boss")
    expect(page).to_have_url(re.compile(r"/board/$"))
    page.get_by_role("link", name="Utilization").click()
    page.locator("#id_date_from").fill(clinic_day.isoformat())
    page.locator("#id_date_to").fill((clinic_day + dt.timedelta(days=4)).isoformat())
    page.get_by_role("button", name="Show").click()
    expect(page.locator("svg[role=img]")).to_have_count(4)
    expect(page.locator(".kpi").nth(1)).to_contain_text("4 of 8")
    axe_check(page, "utilization")
    screenshot(page, "10-utilization")
    page.goto(f"/roster/?date={clinic_day.isoformat()}")
    expect(page.locator("tbody tr")).to_have_count(4)


def test_zz_axe_summary():
    """Prints the axe counts per page collected above (run last in the module)."""
    print("axe summary:", AXE_RESULTS)
    assert {"login", "board", "due", "find-and-book", "patient", "roster", "utilization"} <= set(
        AXE_RESULTS
    )
