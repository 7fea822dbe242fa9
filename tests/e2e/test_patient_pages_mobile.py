"""The patient link pages (/p/s/<token>) on a phone: Chromium at 390x844, touch, 2x pixels.

A patient opens the confirm link from a reminder, confirms; opens the checklist; opens the
cancel link and cancels with a reason; a stale or tampered link gets a friendly page. On every
page: no sideways scrolling, main buttons at least 44 px tall, and axe-core finds nothing
serious or critical. Screenshots go to test-artifacts/screenshots/ (prefix "p").
"""

from __future__ import annotations

import re
import time
from unittest import mock

import pytest
from playwright.sync_api import expect

from tests.conftest import at
from tests.e2e.conftest import axe_check, screenshot

pytestmark = [pytest.mark.e2e, pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

PHONE = {
    "viewport": {"width": 390, "height": 844},
    "is_mobile": True,
    "has_touch": True,
    "device_scale_factor": 2,
}
MIN_TAP_PX = 44


@pytest.fixture
def phone(browser, live_server):
    """A fresh phone-sized page (own cookies) against the live server."""
    context = browser.new_context(base_url=live_server.url, **PHONE)
    context.set_default_timeout(15_000)
    yield context.new_page()
    context.close()


@pytest.fixture
def visit(clinic, clinic_day, make_patient):
    """A booked first Ocrevus dose for a patient with no labs on file (so labs are missing)."""
    from scheduling import services

    patient = make_patient(first_name="Maria", last_name="Okonkwo-Castellanos")
    return services.book_session(
        patient=patient,
        protocol=clinic["protocols"]["ocrelizumab_iv"],
        dose_number=1,
        start=at(clinic_day, 9, 30),
        by=None,
    )


def _path(session, action: str) -> str:
    from patients import links

    return links.path_for(session.pk, action)


def _status(session) -> str:
    session.refresh_from_db()
    return session.status


def check_layout(page, name: str, buttons=()) -> None:
    """No horizontal overflow, big enough tap targets, axe clean; then a full-page screenshot."""
    text = page.locator("body").inner_text()
    assert "{#" not in text and "{%" not in text and "Traceback" not in text, (
        f"{name}: template or error text"
    )
    widths = page.evaluate("() => [document.documentElement.scrollWidth, window.innerWidth]")
    assert widths[0] <= widths[1], f"{name}: page is {widths[0]} px wide in a {widths[1]} px window"
    for button in buttons:
        expect(button).to_be_visible()
        box = button.bounding_box()
        assert box["height"] >= MIN_TAP_PX, f"{name}: {button} is {box['height']} px tall"
        assert box["x"] >= 0 and box["x"] + box["width"] <= widths[1], (
            f"{name}: {button} off screen"
        )
    axe_check(page, name)
    screenshot(page, name)


def test_patient_confirms_from_phone(phone, visit, browser, live_server):
    from scheduling.models import SessionStatus

    response = phone.goto(_path(visit, "c"))
    assert response.status == 200
    expect(phone.get_by_role("heading", level=1)).to_have_text("Will you come to this visit?")
    expect(phone.locator(".status")).to_have_text("Booked")
    when = phone.locator("dd").first
    expect(when).to_contain_text(re.compile(r"\d{1,2}:\d{2}"))  # a clock time
    expect(when).to_contain_text(visit.start.strftime("%B"))  # the month, spelled out
    yes = phone.get_by_role("button", name="Yes, I will be there")
    no = phone.get_by_role("link", name="No, I cannot come")
    check_layout(phone, "p01-confirm-390", [yes, no])
    assert _status(visit) == SessionStatus.BOOKED  # opening the link alone confirms nothing

    # The same page on a desktop, for the record.
    desktop = browser.new_context(base_url=live_server.url, viewport={"width": 1280, "height": 900})
    try:
        page = desktop.new_page()
        page.goto(_path(visit, "c"))
        expect(page.get_by_role("button", name="Yes, I will be there")).to_be_visible()
        assert page.evaluate("() => document.documentElement.scrollWidth <= window.innerWidth")
        screenshot(page, "p01-confirm-1280")
    finally:
        desktop.close()

    yes.tap()
    expect(phone.get_by_role("heading", level=1)).to_have_text("Thank you, see you then")
    expect(phone.locator("body")).to_contain_text("Your visit is confirmed.")
    expect(phone.locator(".status")).to_have_text("Confirmed")
    check_layout(
        phone, "p02-confirmed-390", [phone.get_by_role("link", name=re.compile("checklist"))]
    )
    assert _status(visit) == SessionStatus.CONFIRMED

    # The link opened again later says so and offers no second confirm.
    phone.goto(_path(visit, "c"))
    expect(phone.get_by_role("heading", level=1)).to_have_text("Your visit is confirmed")
    expect(phone.get_by_role("button", name="Yes, I will be there")).to_have_count(0)


def test_checklist_lists_missing_labs_by_name(phone, visit):
    """Three labs: one never drawn, one drawn and pending, one in; the page says each plainly."""
    from django.utils import timezone

    from patients.models import LabResult, LabStatus
    from scheduling import selectors
    from scheduling.models import LabTest

    missing = selectors.lab_checklist(session=visit).missing
    names = [item.test_name for item in missing]
    # The link page names each test in the patient's words (LabTest.patient_name), never the
    # clinical name: whoever holds the link learns nothing about the diagnosis.
    shown = {item.test_name: item.patient_name or item.test_name for item in missing}
    assert len(names) >= 3, (
        f"an Ocrevus first dose with no labs on file should miss several: {names}"
    )
    today = timezone.localdate()
    pending_name, done_name = names[-2], names[-1]
    LabResult.objects.create(
        patient=visit.patient,
        lab_test=LabTest.objects.get(name=pending_name),
        collected_on=today,
        status=LabStatus.ORDERED,
    )
    LabResult.objects.create(
        patient=visit.patient,
        lab_test=LabTest.objects.get(name=done_name),
        collected_on=today,
        status=LabStatus.RESULTED,
        resulted_on=today,
    )

    response = phone.goto(_path(visit, "l"))
    assert response.status == 200
    expect(phone.get_by_role("heading", name="Lab tests")).to_be_visible()
    rows = phone.locator("ul.items").first.locator("li")
    expect(rows.locator("> strong:first-child")).to_have_text([shown[n] for n in names[:-1]])
    missing_row = rows.filter(has_text=shown[names[0]])
    expect(missing_row).to_contain_text(re.compile(r"Get it drawn by \w+day, \w{3} \d{1,2}\."))
    expect(rows.filter(has_text=shown[pending_name])).to_contain_text(
        "waiting for the result. Nothing to do."
    )
    expect(phone.locator("body")).to_contain_text(f"Already in: {shown[done_name]}")
    check_layout(phone, "p03-checklist-390", [])


def test_patient_cancels_from_phone(phone, visit):
    from scheduling.models import SessionStatus

    response = phone.goto(_path(visit, "x"))
    assert response.status == 200
    expect(phone.get_by_role("heading", level=1)).to_have_text("Cancel this visit?")
    cancel = phone.get_by_role("button", name="Cancel my visit")
    keep = phone.get_by_role("link", name="Keep my visit")
    reason = phone.get_by_role("radio", name="I am unwell")
    check_layout(phone, "p04-cancel-390", [cancel, keep])
    label_box = phone.locator("label", has=reason).bounding_box()
    assert label_box["height"] >= MIN_TAP_PX, f"reason row is {label_box['height']} px tall"
    assert _status(visit) == SessionStatus.BOOKED  # opening the link alone cancels nothing

    reason.tap()
    phone.get_by_label(re.compile("Anything we should know")).fill("Fever since Saturday")
    cancel.tap()
    expect(phone.get_by_role("heading", level=1)).to_have_text("Your visit is cancelled")
    expect(phone.locator(".status")).to_have_text("Cancelled")
    check_layout(phone, "p05-cancelled-390", [])
    visit.refresh_from_db()
    assert visit.status == SessionStatus.CANCELLED
    assert visit.cancel_reason == "Patient cancelled by link: I am unwell (Fever since Saturday)"

    phone.goto(_path(visit, "x"))
    expect(phone.locator("body")).to_contain_text("This visit is already cancelled.")
    expect(phone.get_by_role("button", name="Cancel my visit")).to_have_count(0)


def test_expired_and_tampered_links_get_a_friendly_page(phone, visit):
    from django.conf import settings

    from patients import links

    stale = time.time() - (settings.PATIENT_LINK_MAX_AGE_DAYS + 1) * 86400
    with mock.patch("django.core.signing.time.time", return_value=stale):
        expired = links.path_for(visit.pk, links.CONFIRM)
    good = _path(visit, "c")
    tampered = good[:-1] + ("A" if good[-1] != "A" else "B")

    cases = [
        (expired, 410, "This link has expired", "p06-expired-390"),
        (tampered, 400, "This link does not work", "p07-tampered-390"),
        (good[: len(good) // 2], 400, "This link does not work", None),
    ]  # cut short in a text
    for path, status, title, shot in cases:
        response = phone.goto(path)
        assert response.status == status, path
        expect(phone.get_by_role("heading", level=1)).to_have_text(title)
        body = phone.locator("body").inner_text()
        assert "Traceback" not in body and "Exception" not in body
        expect(phone.get_by_role("link", name=re.compile(r"\d"))).to_have_attribute(
            "href", re.compile("^tel:")
        )
        if shot:
            check_layout(phone, shot, [])
    # Tapping "confirm" on a tampered link changes nothing.
    from scheduling.models import SessionStatus

    assert _status(visit) == SessionStatus.BOOKED
