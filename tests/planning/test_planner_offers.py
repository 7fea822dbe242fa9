"""Sending a proposal to the patient: a one-segment text and an email with a signed link, sent
at the next allowed hour; accepting books it through the booking service, declining tells the
coordinator, a slot taken meanwhile says so plainly."""

import datetime as dt
import re
from urllib.parse import urlsplit

import pytest
import time_machine
from django.urls import resolve
from django.utils import timezone

from patients import links
from scheduling.models import AuditEvent, InfusionSession, ProposalStatus
from scheduling.notifications.offers import deliver_due_offers
from scheduling.notifications.sms import LocmemSmsBackend, fits_one_segment
from scheduling.services import planner
from tests.conftest import TZ
from tests.planning.conftest import today

pytestmark = [pytest.mark.django_db, pytest.mark.postgres]


@pytest.fixture
def sent(due_ocrevus, make_staff, settings):
    settings.SMS_BACKEND = "locmem"
    LocmemSmsBackend.outbox.clear()
    patient = due_ocrevus(8)
    start = today() + dt.timedelta(days=1)
    run = planner.start_plan(
        date_from=start, date_to=start + dt.timedelta(days=20), time_limit=5, run_now=True
    )
    p = planner.send_proposal(proposal=run.proposals.get(), by=make_staff("front_desk"))
    return patient, p


def test_the_offer_goes_out_by_text_and_email_with_minimal_content(sent, mailoutbox):
    patient, p = sent
    assert p.status == ProposalStatus.SENT and p.offer_channels == "sms,email"
    assert deliver_due_offers(now=p.send_due_at) == 1
    assert deliver_due_offers(now=p.send_due_at) == 0  # never twice
    (text,) = LocmemSmsBackend.outbox
    assert text["to"] == patient.mobile and fits_one_segment(text["body"])
    assert "Ocrevus" not in text["body"] and "ocrelizumab" not in text["body"].lower()
    # the link is this offer's (compared by what it says, not as a string: the token carries
    # the second it was signed, which need not be the second this test builds one)
    (url,) = re.findall(r"https?://\S+", text["body"])
    token = resolve(urlsplit(url).path).kwargs["token"]
    assert links.read_token(token) == (p.pk, links.OFFER)
    (mail,) = mailoutbox
    assert mail.to == [patient.email] and "Nothing is booked until you accept" in mail.body
    p.refresh_from_db()
    assert p.sent_at is not None


def test_quiet_hours_hold_the_offer_until_morning(due_ocrevus, make_staff, settings):
    settings.SMS_BACKEND = "locmem"
    due_ocrevus(8)
    night = dt.datetime.combine(today() + dt.timedelta(days=1), dt.time(22, 30), tzinfo=TZ)
    with time_machine.travel(night, tick=False):
        start = today() + dt.timedelta(days=1)
        run = planner.start_plan(
            date_from=start, date_to=start + dt.timedelta(days=20), time_limit=5, run_now=True
        )
        p = planner.send_proposal(proposal=run.proposals.get(), by=make_staff("front_desk"))
        assert p.send_due_at.astimezone(TZ).hour == 9
        assert deliver_due_offers(now=timezone.now()) == 0


def test_accepting_from_the_link_books_it(sent, client):
    patient, p = sent
    path = links.path_for(p.pk, links.OFFER)
    page = client.get(path)
    assert page.status_code == 200 and "Nothing is booked until you accept" in page.content.decode()
    assert not InfusionSession.objects.filter(patient=patient, status="booked").exists()
    done = client.post(path, {"intent": "accept"})
    assert done.status_code == 200 and "Your visit is booked" in done.content.decode()
    p.refresh_from_db()
    assert p.status == ProposalStatus.ACCEPTED
    session = InfusionSession.objects.get(patient=patient, status="booked")
    assert session.start == p.start
    assert AuditEvent.objects.filter(session=session, action="planner_accepted").exists()
    assert client.post(path, {"intent": "accept"}).status_code == 200  # shown, not booked twice
    assert InfusionSession.objects.filter(patient=patient, status="booked").count() == 1


def test_declining_from_the_link(sent, client):
    patient, p = sent
    response = client.post(links.path_for(p.pk, links.OFFER), {"intent": "decline"})
    assert "We will call you" in response.content.decode()
    p.refresh_from_db()
    assert p.status == ProposalStatus.DECLINED


def test_a_slot_taken_meanwhile_is_said_plainly_and_refreshed(sent, client, clinic, make_patient):
    from scheduling import services

    patient, p = sent
    other = make_patient()
    services.book_session(
        patient=other,
        protocol=clinic["protocols"]["ocrelizumab_iv"],
        dose_number=1,
        start=p.start,
        chair=p.chair,
        nurse=p.nurse,
    )
    response = client.post(links.path_for(p.pk, links.OFFER), {"intent": "accept"})
    assert response.status_code == 409 and "That time was just taken" in response.content.decode()
    p.refresh_from_db()
    assert p.status in (ProposalStatus.PROPOSED, ProposalStatus.UNPLACED)
    assert not InfusionSession.objects.filter(patient=patient, status="booked").exists()


def test_a_tampered_offer_link_is_a_friendly_400(sent, client):
    _, p = sent
    path = links.path_for(p.pk, links.OFFER)
    assert client.get(path[:-2] + "xx").status_code == 400
