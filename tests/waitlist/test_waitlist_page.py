"""The waitlist page (priority, windows, offers and outcomes, freed time; add, remove, fill by
phone) and the board's "offered to J.D. until 10:40"."""

from __future__ import annotations

import pytest
from django.urls import reverse

from scheduling.models import SessionStatus
from tests.conftest import DEMO_PASSWORD, TZ
from waitlist.dispatcher import run_cycle
from waitlist.models import EntryStatus, FreedStatus, OfferStatus, WaitlistEntry

pytestmark = pytest.mark.django_db


@pytest.fixture
def desk_client(business_clock, client, make_staff):
    user = make_staff("front_desk", username="desk")
    assert client.login(username=user.username, password=DEMO_PASSWORD)
    return client


def test_page_lists_entries_in_priority_with_windows_and_offers(
    desk_client, clinic, waitlisted, cancelled_slot, sms_outbox, business_clock
):
    a = waitlisted(
        first_name="Ada", windows=[{"weekdays": [0, 2], "start": "08:00", "end": "13:00"}]
    )
    b = waitlisted(first_name="Bea", urgent=True)
    cancelled_slot()
    run_cycle()
    page = desk_client.get(reverse("waitlist:page"))
    html = page.content.decode()
    assert page.status_code == 200, html[:3000]
    assert html.index(f'data-entry="{b.pk}"') < html.index(f'data-entry="{a.pk}"')  # urgent first
    assert "Mon, Wed 08:00–13:00" in html
    offer = b.offers.get()
    assert f'data-offer="{offer.pk}"' in html
    assert f"Offered to {'.'.join(b.patient.initials)}. until" in html
    assert 'href="/waitlist/"' in html  # in the navigation


def test_add_from_the_page_and_errors_in_place(desk_client, clinic, make_patient, visit_day):
    patient = make_patient()
    data = {
        "mrn": patient.mrn,
        "protocol": "ocrelizumab_iv",
        "dose_number": 1,
        "earliest": visit_day.isoformat(),
        "latest": visit_day.isoformat(),
        "min_notice_hours": 24,
        "channel": "sms",
    }
    r = desk_client.post(reverse("waitlist:page"), {**data, "mrn": "nobody"})
    assert r.status_code == 400 and "No patient with that MRN." in r.content.decode()
    r = desk_client.post(reverse("waitlist:page"), data)
    assert r.status_code == 302
    entry = WaitlistEntry.objects.get(patient=patient)
    r = desk_client.post(reverse("waitlist:page"), data)
    assert r.status_code == 400 and "already on the waitlist" in r.content.decode()
    desk_client.post(reverse("waitlist:entry_remove", args=[entry.pk]))
    entry.refresh_from_db()
    assert entry.status == EntryStatus.REMOVED


def test_nurses_see_but_cannot_add(client, make_staff, clinic, make_patient):
    nurse = make_staff("nurse", username="n1")
    client.login(username=nurse.username, password=DEMO_PASSWORD)
    assert client.get(reverse("waitlist:page")).status_code == 200
    assert client.post(reverse("waitlist:page"), {"mrn": "x"}).status_code == 403
    assert client.post(reverse("waitlist:freed_filled", args=[1])).status_code == 403


def test_board_shows_the_offer_and_the_desk_fills_by_phone(
    desk_client, clinic, waitlisted, cancelled_slot, sms_outbox, visit_day, business_clock
):
    a = waitlisted(first_name="Jo", last_name="Doe")
    freed = cancelled_slot()
    run_cycle()
    offer = a.offers.get()
    html = desk_client.get(reverse("board"), {"date": visit_day.isoformat()}).content.decode()
    hold = offer.hold_until.astimezone(TZ)
    assert f"Offered to J.D. until {hold:%H:%M}" in html
    assert f'data-freed="{freed.pk}"' in html

    r = desk_client.post(reverse("waitlist:freed_filled", args=[freed.pk]), {"next": "/board/"})
    assert r.status_code == 302
    offer.refresh_from_db()
    freed.refresh_from_db()
    assert offer.status == OfferStatus.WITHDRAWN and freed.status == FreedStatus.FILLED_ELSEWHERE


def test_the_desk_books_a_waitlisted_patient_by_phone(
    desk_client, clinic, waitlisted, cancelled_slot, sms_outbox, business_clock
):
    a = waitlisted(first_name="A")
    b = waitlisted(first_name="B")
    freed = cancelled_slot()
    run_cycle()
    r = desk_client.post(reverse("waitlist:freed_book", args=[freed.pk]), {"entry": b.pk})
    assert r.status_code == 302
    offer = b.offers.get()
    assert offer.status == OfferStatus.ACCEPTED
    assert offer.booked_session.status == SessionStatus.BOOKED
    assert a.offers.get().status == OfferStatus.TAKEN
