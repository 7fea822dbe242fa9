"""Signed patient links: confirm, cancel (frees the chair, tells the front desk), checklist."""

import datetime as dt
import time

import pytest
from django.core import signing
from django.utils import timezone

from patients import links
from scheduling import services
from scheduling.models import AuditEvent, InfusionSession
from tests.conftest import at

pytestmark = pytest.mark.django_db


@pytest.fixture
def eager_celery():
    from infusion_center.celery import app

    app.conf.task_always_eager = True
    yield
    app.conf.task_always_eager = False


def test_tokens_round_trip_and_are_short():
    token = links.make_token(123456, links.MANAGE)
    assert links.read_token(token) == (123456, "s")
    assert len(token) <= 30
    assert len(links.path_for(123456, links.MANAGE)) <= 36


@pytest.mark.parametrize(
    "mangle",
    [
        lambda t: t[:-1] + ("A" if t[-1] != "A" else "B"),  # signature changed
        lambda t: "2" + t[1:] if t[0] != "2" else "3" + t[1:],  # session id changed
        lambda t: t.replace("-s.", "-x."),  # action changed
        lambda t: t[:10],  # cut short
        lambda t: "garbage",
    ],
)
def test_tampered_links_get_a_friendly_400(client, booked, mangle):
    token = mangle(links.make_token(booked.pk, links.MANAGE))
    response = client.get(f"/p/s/{token}")
    assert response.status_code == 400
    assert b"This link does not work" in response.content
    assert client.post(f"/p/s/{token}", {"intent": "cancel", "reason": "other"}).status_code == 400
    booked.refresh_from_db()
    assert booked.status == "booked"


def test_expired_links_get_a_friendly_410(client, booked, settings, monkeypatch):
    token = links.make_token(booked.pk, links.CONFIRM)
    later = time.time() + settings.PATIENT_LINK_MAX_AGE_DAYS * 86400 + 60
    monkeypatch.setattr(signing.time, "time", lambda: later)
    response = client.get(f"/p/s/{token}")
    assert response.status_code == 410
    assert b"expired" in response.content


def test_get_only_asks_post_confirms(client, booked):
    url = links.path_for(booked.pk, links.CONFIRM)
    page = client.get(url)
    assert page.status_code == 200
    assert b"Will you come to this visit?" in page.content
    assert b'name="viewport" content="width=device-width, initial-scale=1"' in page.content
    booked.refresh_from_db()
    assert booked.status == "booked"  # a mail scanner following the link changed nothing
    done = client.post(url, {"intent": "confirm"})
    assert done.status_code == 200 and b"Thank you" in done.content
    booked.refresh_from_db()
    assert booked.status == "confirmed"
    assert AuditEvent.objects.get(session=booked, action="confirmed").actor_label == "patient link"
    # A second click is harmless.
    assert client.post(url, {"intent": "confirm"}).status_code == 200


def test_cancel_by_link_frees_the_chair_and_tells_the_front_desk(
    client,
    booked,
    center,
    clinic,
    clinic_day,
    make_patient,
    mailoutbox,
    eager_celery,
    django_capture_on_commit_callbacks,
):
    center.front_desk_email = "desk@riverside.example"
    center.save()
    url = links.path_for(booked.pk, links.CANCEL)
    assert b"Cancel this visit?" in client.get(url).content
    booked.refresh_from_db()
    assert booked.status == "booked"
    with pytest.raises(services.BookingConflict):  # the chair is taken while the visit stands
        services.book_session(
            patient=make_patient(),
            protocol=booked.protocol,
            dose_number=1,
            start=booked.start,
            chair=booked.chair,
        )
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url, {"intent": "cancel", "reason": "unwell", "note": "flu"})
    assert response.status_code == 200 and b"Your visit is cancelled" in response.content
    booked.refresh_from_db()
    assert booked.status == "cancelled"
    assert "I am unwell (flu)" in booked.cancel_reason
    assert AuditEvent.objects.get(session=booked, action="cancelled").actor_label == "patient link"
    desk = [m for m in mailoutbox if m.to == ["desk@riverside.example"]]
    assert len(desk) == 1 and booked.patient.full_name in desk[0].subject
    # The chair is free again.
    other = services.book_session(
        patient=make_patient(),
        protocol=booked.protocol,
        dose_number=1,
        start=booked.start,
        chair=booked.chair,
    )
    assert other.chair_id == booked.chair_id
    # Cancelling twice changes nothing and does not email the desk again.
    with django_capture_on_commit_callbacks(execute=True):
        assert client.post(url, {"intent": "cancel", "reason": "unwell"}).status_code == 200
    assert len([m for m in mailoutbox if m.to == ["desk@riverside.example"]]) == 1


def test_a_confirm_link_cannot_cancel(client, booked):
    response = client.post(
        links.path_for(booked.pk, links.CONFIRM), {"intent": "cancel", "reason": "other"}
    )
    assert response.status_code == 400
    booked.refresh_from_db()
    assert booked.status == "booked"


def test_a_bad_cancel_form_is_a_400_not_a_500(client, booked):
    response = client.post(
        links.path_for(booked.pk, links.CANCEL), {"intent": "cancel", "reason": "nope"}
    )
    assert response.status_code == 400
    booked.refresh_from_db()
    assert booked.status == "booked"


def test_manage_page_of_a_past_or_cancelled_visit(client, booked):
    services.cancel(session=booked, reason="clinic closed")
    page = client.get(links.path_for(booked.pk, links.MANAGE))
    assert page.status_code == 200 and b"This visit is cancelled" in page.content
    assert (
        client.post(links.path_for(booked.pk, links.MANAGE), {"intent": "confirm"}).status_code
        == 409
    )


def test_a_deleted_session_link_is_410(client, booked):
    token = links.make_token(booked.pk + 1000, links.MANAGE)
    assert client.get(f"/p/s/{token}").status_code == 410


def test_checklist_page_lists_the_missing_labs(client, booked):
    from patients.models import LabResult
    from scheduling import selectors

    req = booked.protocol.lab_requirements.first()
    LabResult.objects.create(
        patient=booked.patient,
        lab_test=req.lab_test,
        collected_on=timezone.localdate() - dt.timedelta(days=1),
        resulted_on=timezone.localdate(),
    )
    page = client.get(links.path_for(booked.pk, links.CHECKLIST)).content.decode()
    missing = selectors.lab_checklist(session=booked).missing
    assert missing
    for item in missing:  # in the patient's words, not the clinical name
        assert (item.patient_name or item.test_name) in page
    assert f"Already in: {req.lab_test.patient_name or req.lab_test.name}" in page


def test_series_sessions_get_their_own_links(clinic, clinic_day, make_patient):
    series = services.book_series(
        patient=make_patient(),
        protocol=clinic["protocols"]["ocrelizumab_iv"],
        start=at(clinic_day, 9),
    )
    ids = list(InfusionSession.objects.filter(series=series).values_list("pk", flat=True))
    tokens = {links.make_token(pk, links.MANAGE) for pk in ids}
    assert len(tokens) == len(ids) == 2
