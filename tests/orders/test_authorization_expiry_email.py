"""Staff get one email 14 days before an authorization ends when the patient has sessions
booked after it (daily beat task)."""

from __future__ import annotations

import datetime as dt

from django.core import mail
from django.utils import timezone

from orders import notices
from orders.models import OrdersSettings
from orders.tasks import send_authorization_expiry_notices
from scheduling import services
from tests.conftest import at


def _setup(clinic, clinic_day, make_patient, give_order, give_authorization, *, override=True):
    patient = make_patient(last_name="Renewme")
    give_order(patient, "natalizumab")
    auth = give_authorization(patient, ["J2323"], valid_to=clinic_day + dt.timedelta(days=2))
    services.book_session(
        patient=patient,
        protocol=clinic["protocols"]["natalizumab"],
        dose_number=1,
        start=at(clinic_day + dt.timedelta(days=7), 9),
        override_reason="renewal requested from the payer",
    )
    return patient, auth


def test_staff_are_emailed_once_about_sessions_after_the_end(
    clinic, clinic_day, make_patient, give_order, give_authorization
):
    rules = OrdersSettings.load()
    rules.staff_email = "auth-desk@example.org"
    rules.save()
    patient, auth = _setup(clinic, clinic_day, make_patient, give_order, give_authorization)
    fourteen_before = auth.valid_to - dt.timedelta(days=14)
    assert notices.send_expiry_notices(today=fourteen_before - dt.timedelta(days=1)) == 0
    assert notices.send_expiry_notices(today=fourteen_before) == 1
    (msg,) = mail.outbox
    assert msg.to == ["auth-desk@example.org"]
    assert "Renewme" in msg.subject and "1 session(s) booked after it" in msg.subject
    assert auth.number in msg.body and "in 14 days" in msg.body
    assert "Tysabri" not in msg.body and "natalizumab" not in msg.body  # minimal content
    # Sent once: the next days stay quiet.
    assert notices.send_expiry_notices(today=fourteen_before + dt.timedelta(days=1)) == 0
    assert len(mail.outbox) == 1


def test_no_email_without_sessions_after_the_end(
    clinic, clinic_day, make_patient, give_order, give_authorization, make_staff
):
    make_staff("manager", email="boss@example.org")
    patient = make_patient()
    give_authorization(patient, ["J2323"], valid_to=timezone.localdate() + dt.timedelta(days=14))
    assert notices.send_expiry_notices() == 0
    assert mail.outbox == []


def test_the_beat_task_sends_to_the_managers_by_default(
    clinic, clinic_day, make_patient, give_order, give_authorization, make_staff, settings
):
    make_staff("manager", email="boss@example.org")
    patient, auth = _setup(clinic, clinic_day, make_patient, give_order, give_authorization)
    import time_machine

    with time_machine.travel(
        dt.datetime.combine(auth.valid_to - dt.timedelta(days=10), dt.time(13), tzinfo=dt.UTC)
    ):
        assert send_authorization_expiry_notices() == 1
    assert mail.outbox[0].to == ["boss@example.org"]
    from django.conf import settings as dj

    assert "authorization-expiry-notices" in dj.CELERY_BEAT_SCHEDULE
