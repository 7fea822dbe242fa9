"""Inbound SMS: Twilio signature required; STOP stops every text, START re-enables, C confirms."""

import pytest
from twilio.request_validator import RequestValidator

from scheduling.models import Reminder
from scheduling.notifications import dispatch
from tests.reminders.conftest import make_due

pytestmark = pytest.mark.django_db
URL = "/p/sms/inbound"
TOKEN = "test-twilio-auth-token"


@pytest.fixture
def twilio(settings):
    settings.TWILIO_AUTH_TOKEN = TOKEN
    settings.SMS_WEBHOOK_VALIDATE = True


def post(client, params, *, sign=True, token=TOKEN):
    headers = {}
    if sign:
        headers["HTTP_X_TWILIO_SIGNATURE"] = RequestValidator(token).compute_signature(
            "http://testserver" + URL, params
        )
    return client.post(URL, params, **headers)


def params(patient, body):
    return {"From": patient.mobile, "To": "+15550000000", "Body": body, "MessageSid": "SM123"}


def test_unsigned_or_wrongly_signed_requests_are_refused(client, booked, twilio):
    assert post(client, params(booked.patient, "STOP"), sign=False).status_code == 403
    assert post(client, params(booked.patient, "STOP"), token="someone-else").status_code == 403
    booked.patient.refresh_from_db()
    assert booked.patient.sms_opted_out_at is None


def test_without_an_auth_token_the_webhook_fails_closed(client, booked, settings):
    settings.TWILIO_AUTH_TOKEN = ""
    settings.SMS_WEBHOOK_VALIDATE = True
    assert post(client, params(booked.patient, "STOP")).status_code == 403


def test_stop_opts_out_and_nothing_more_is_texted(client, booked, twilio, sms_outbox, mailoutbox):
    response = post(client, params(booked.patient, " stop "))
    assert response.status_code == 200 and "<Message>" not in response.content.decode()
    booked.patient.refresh_from_db()
    assert booked.patient.sms_opted_out_at is not None
    day_before = Reminder.objects.get(session=booked, kind="day_before", channel="sms")
    assert (day_before.status, day_before.skip_reason) == ("skipped", "patient opted out (STOP)")
    # Every due reminder and a fresh cancellation notice: email only, not one text.
    from scheduling import services

    services.cancel(session=booked, reason="clinic closed")
    make_due(Reminder.objects.filter(session=booked))
    dispatch.dispatch_inline()
    assert sms_outbox == []
    assert len(mailoutbox) == 1
    # Anything else from that number gets no reply either.
    assert "<Message>" not in post(client, params(booked.patient, "HELP")).content.decode()


def test_a_text_already_claimed_when_stop_arrives_is_skipped(client, booked, twilio, sms_outbox):
    day_before = Reminder.objects.get(session=booked, kind="day_before", channel="sms")
    make_due(day_before)
    dispatch.claim_due()
    post(client, params(booked.patient, "STOP"))
    assert dispatch.deliver(day_before.pk).result == "skipped"
    assert sms_outbox == []


def test_start_re_enables_texts(client, booked, twilio, sms_outbox):
    post(client, params(booked.patient, "STOP"))
    reply = post(client, params(booked.patient, "START")).content.decode()
    assert "you will get visit texts again" in reply
    booked.patient.refresh_from_db()
    assert booked.patient.sms_opted_out_at is None and booked.patient.can_text
    from scheduling import services

    services.reschedule(session=booked, start=booked.start.replace(hour=booked.start.hour + 2))
    make_due(Reminder.objects.filter(session=booked, kind="reschedule"))
    dispatch.dispatch_inline()
    assert len(sms_outbox) == 1


def test_c_confirms_the_next_visit(client, booked, twilio):
    reply = post(client, params(booked.patient, "C")).content.decode()
    assert "is confirmed" in reply
    booked.refresh_from_db()
    assert booked.status == "confirmed"


def test_help_names_the_center_and_phone_but_no_health_words(client, booked, twilio, center):
    reply = post(client, params(booked.patient, "help")).content.decode()
    assert center.phone in reply and "STOP" in reply
    assert "MS " not in reply and "Ocrevus" not in reply


def test_an_unknown_number_gets_help_and_changes_nothing(client, booked, twilio):
    reply = post(client, {"From": "+16175559999", "Body": "C"}).content.decode()
    assert "found no visit" in reply
    booked.refresh_from_db()
    assert booked.status == "booked"
