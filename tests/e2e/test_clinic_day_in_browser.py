"""The clinic day's rules in a real browser (Chromium) against the live server on PostgreSQL:
the nurse cannot complete tomorrow's session; moving dose 1 moves the series; booking a first
dose whose labs cannot be in time asks for the acknowledgement and shows a future draw-by."""

from __future__ import annotations

import datetime as dt
import re

import pytest
import time_machine
from playwright.sync_api import expect

from tests.conftest import at
from tests.e2e.conftest import sign_in

pytestmark = [pytest.mark.e2e, pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def day_before(request, clinic_day):
    """The clock on the day before clinic_day, 10:00, running."""
    traveller = time_machine.travel(at(clinic_day - dt.timedelta(days=1), 10), tick=True)
    traveller.start()
    request.addfinalizer(traveller.stop)
    return clinic_day - dt.timedelta(days=1)


def test_the_nurse_cannot_run_tomorrows_session(
    new_page, clinic, clinic_day, make_staff, make_patient, day_before
):
    from scheduling import services
    from scheduling.models import InfusionSession

    user = make_staff("nurse", username="nurse_tom")
    nurse = clinic["nurses"][2]  # the alemtuzumab REMS nurse
    nurse.user = user
    nurse.save(update_fields=["user"])
    session = services.book_session(
        patient=make_patient(last_name="Tomorrow"),
        protocol=clinic["protocols"]["alemtuzumab"],
        dose_number=1,
        start=at(clinic_day, 9),
        chair=clinic["chairs"][6],
        nurse=nurse,
        lab_acknowledgement="baseline labs drawn at the neurologist",
    )
    page = new_page()
    sign_in(page, "nurse_tom")
    page.goto(f"/roster/?date={clinic_day.isoformat()}")
    row = page.locator(f"#roster-{session.pk}")
    expect(row).to_contain_text("Tomorrow")
    # No Start or Complete for a session not checked in; check-in itself is refused in the row.
    expect(row.get_by_role("button", name=re.compile("^Complete"))).to_have_count(0)
    expect(row.get_by_role("button", name=re.compile("^Start"))).to_have_count(0)
    row.get_by_role("button", name=re.compile("^Check in")).click()
    expect(page.locator(f"#roster-{session.pk}")).to_contain_text(
        "a patient can be checked in only on the day of their session"
    )
    page.locator(f"#roster-{session.pk}").get_by_role(
        "button", name=re.compile("^Record REMS")
    ).click()
    expect(page.locator(f"#roster-{session.pk}")).to_contain_text("only on the day")
    session = InfusionSession.objects.get(pk=session.pk)
    assert session.status == "booked" and session.rems_checked_at is None
    assert session.completed_at is None


def test_moving_dose_one_moves_the_series(new_page, clinic, clinic_day, make_staff, make_patient):
    from scheduling import services
    from scheduling.models import InfusionSession

    make_staff("front_desk", username="desk_mo")
    series = services.book_series(
        patient=make_patient(first_name="Mona", last_name="Mover"),
        protocol=clinic["protocols"]["ocrelizumab_iv"],
        start=at(clinic_day, 9),
    )
    one, two = InfusionSession.objects.filter(series=series).order_by("dose_number")
    target = clinic_day + dt.timedelta(days=3)  # Monday -> Thursday
    page = new_page()
    sign_in(page, "desk_mo")
    page.goto(
        f"/sessions/{one.pk}/reschedule/?date_from={target.isoformat()}&date_to={target.isoformat()}"
    )
    expect(page.locator("#later-doses")).to_contain_text("dose 2")
    option = page.locator("li.slot").first
    expected = (target + dt.timedelta(days=14)).strftime("%a %b %-d")
    expect(option).to_contain_text(f"Move dose 2 to {expected} with it")
    expect(option.get_by_role("checkbox")).to_be_checked()
    option.get_by_role("button", name=re.compile("^Move to")).click()
    expect(page.locator("body")).to_contain_text("Dose 2 moved with it")
    one.refresh_from_db()
    two.refresh_from_db()
    assert one.start.astimezone(at(target, 9).tzinfo).date() == target
    assert two.start == at(target + dt.timedelta(days=14), 9)


def test_booking_a_first_dose_without_labs_asks_for_the_acknowledgement(
    new_page, clinic, clinic_day, make_staff, make_patient, day_before
):
    from scheduling.models import InfusionSession

    make_staff("front_desk", username="desk_lab")
    patient = make_patient(first_name="Lara", last_name="Labs")
    page = new_page()
    sign_in(page, "desk_lab")
    page.goto(
        f"/book/?patient={patient.pk}&protocol=ocrelizumab_iv&dose_number=1"
        f"&date_from={clinic_day.isoformat()}&date_to={clinic_day.isoformat()}"
    )
    option = page.locator("li.slot").first
    expect(option.locator("[data-labs-at-risk]")).to_contain_text("Hepatitis B")
    option.get_by_label("Book anyway because").fill("Neurologist asked to start; drawn today")
    option.get_by_role("button", name=re.compile("^Book")).click()
    expect(page.locator("#confirmation")).to_contain_text("Lara")
    expect(page.locator("[data-lab-ack]")).to_contain_text("drawn today")
    session = InfusionSession.objects.get(patient=patient, dose_number=1)
    assert session.lab_acknowledgement == "Neurologist asked to start; drawn today"
    # The checklist asks for a draw today, never a date already past, and suggests a day.
    page.goto(f"/sessions/{session.pk}/")
    panel = page.locator("body")
    suggested = day_before + dt.timedelta(days=3)
    expect(panel).to_contain_text("draw it today")
    expect(panel).to_contain_text(f"{suggested:%a} {suggested:%b} {suggested.day}")
