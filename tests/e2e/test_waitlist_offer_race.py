"""Two patients, two browsers (separate Chromium contexts), the same freed time offered to
both: they press "Yes, book me" at the same moment. Exactly one booking; the other browser
says the time was taken. The offer page passes axe-core and fits a phone."""

from __future__ import annotations

import datetime as dt

import pytest

from scheduling import services as booking
from scheduling.models import InfusionSession, SessionStatus
from tests.conftest import at
from tests.e2e.conftest import axe_check, screenshot
from waitlist import links, services
from waitlist.dispatcher import run_cycle
from waitlist.models import Offer, OfferStatus, WaitlistSettings

pytestmark = [pytest.mark.e2e, pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True}


@pytest.fixture
def two_offers(clinic, clinic_day, make_patient, center, settings):
    # The live server runs on the real clock: no quiet hours for this test.
    center.quiet_hours_start = center.quiet_hours_end = dt.time(0)
    center.save()
    settings.SMS_BACKEND = "locmem"
    conf = WaitlistSettings.load()
    conf.offers_at_once = 2
    conf.save()
    ocr = clinic["protocols"]["ocrelizumab_iv"]
    for name in ("Ann", "Bob"):
        services.add_entry(
            patient=make_patient(first_name=name),
            protocol=ocr,
            dose_number=1,
            earliest=clinic_day - dt.timedelta(days=3),
            latest=clinic_day + dt.timedelta(days=20),
            channel="sms",
        )
    leaving = booking.book_session(
        patient=make_patient(first_name="Leaving"),
        protocol=ocr,
        dose_number=1,
        start=at(clinic_day, 9),
    )
    booking.cancel(session=leaving, reason="patient unwell")
    run_cycle()
    offers = list(Offer.objects.filter(status=OfferStatus.OFFERED).order_by("pk"))
    assert len(offers) == 2
    return offers


def test_two_browsers_accept_at_once_one_booking(browser, live_server, two_offers):
    pages = []
    for offer in two_offers:
        context = browser.new_context(base_url=live_server.url, **PHONE)
        context.set_default_timeout(15_000)
        page = context.new_page()
        page.goto(links.path_for(offer.pk))
        assert page.get_by_role("heading", name="An earlier visit is open").is_visible()
        pages.append(page)
    axe_check(pages[0], "waitlist-offer")
    assert pages[0].evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    screenshot(pages[0], "w-offer")

    # Both press at once: neither click waits for its navigation before the other fires.
    for page in pages:
        page.get_by_role("button", name="Yes, book me for this time").click(no_wait_after=True)
    for page in pages:
        page.wait_for_selector("[data-offer-status]:not([data-offer-status='offered'])")
    headings = sorted(p.locator("h1").inner_text() for p in pages)
    assert headings == ["Sorry, this time was taken", "You are booked"], headings
    screenshot(next(p for p in pages if "taken" in p.locator("h1").inner_text()), "w-taken")

    statuses = sorted(
        Offer.objects.filter(pk__in=[o.pk for o in two_offers]).values_list("status", flat=True)
    )
    assert statuses == [OfferStatus.ACCEPTED, OfferStatus.TAKEN]
    patients = [o.patient_id for o in two_offers]
    booked = InfusionSession.objects.filter(patient_id__in=patients, status=SessionStatus.BOOKED)
    assert booked.count() == 1
    for page in pages:
        page.context.close()
