"""The patient's offer page: GET only shows the offer (day, time, hold; nothing clinical),
the buttons POST; a tampered link is a 400 page, a taken offer says so (409)."""

from __future__ import annotations

import pytest

from waitlist import links
from waitlist.dispatcher import run_cycle
from waitlist.models import OfferStatus, WaitlistSettings

pytestmark = pytest.mark.django_db


@pytest.fixture
def offered(clinic, waitlisted, cancelled_slot, sms_outbox, business_clock):
    conf = WaitlistSettings.load()
    conf.offers_at_once = 2
    conf.save()
    a, b = waitlisted(first_name="Ann"), waitlisted(first_name="Bob")
    cancelled_slot()
    run_cycle()
    return a.offers.get(), b.offers.get()


def test_get_shows_the_offer_and_changes_nothing(client, offered):
    offer, _ = offered
    page = client.get(links.path_for(offer.pk))
    assert page.status_code == 200
    html = page.content.decode()
    assert "An earlier visit is open" in html and "Held for you until" in html
    for word in ("Ocrevus", "ocrelizumab", "dose", "Ient"):
        assert word not in html
    offer.refresh_from_db()
    assert offer.status == OfferStatus.OFFERED


def test_accept_from_the_page_then_the_other_sees_taken(client, offered):
    mine, theirs = offered
    page = client.post(links.path_for(mine.pk), {"intent": "accept"})
    assert page.status_code == 200 and "You are booked" in page.content.decode()
    page = client.post(links.path_for(theirs.pk), {"intent": "accept"})
    assert page.status_code == 409 and "this time was taken" in page.content.decode()
    theirs.refresh_from_db()
    assert theirs.status == OfferStatus.TAKEN
    # and later visits of the link keep saying so
    assert "this time was taken" in client.get(links.path_for(theirs.pk)).content.decode()


def test_decline_from_the_page(client, offered):
    offer, _ = offered
    page = client.post(links.path_for(offer.pk), {"intent": "decline"})
    assert page.status_code == 200 and "You stay on our waitlist" in page.content.decode()
    offer.refresh_from_db()
    assert offer.status == OfferStatus.DECLINED


def test_a_tampered_link_is_a_friendly_400(client, offered):
    offer, _ = offered
    token = links.make_token(offer.pk)
    assert client.get(f"/p/o/{token[:-2]}xx").status_code == 400
    assert client.get("/p/o/nonsense").status_code == 400


def test_an_appointment_token_is_not_an_offer_token(client, offered):
    from patients import links as visit_links

    offer, _ = offered
    assert client.get("/p/o/" + visit_links.make_token(offer.pk, "s")).status_code == 400
