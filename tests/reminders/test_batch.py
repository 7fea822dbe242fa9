"""Batched delivery: what a batch shares (reads, mail connection, rendered pieces) never
replaces a gate; each reminder is still locked, re-checked and marked on its own."""

import datetime as dt

import pytest
from django.db import connection
from django.db.models import F
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from scheduling import services
from scheduling.models import Reminder
from scheduling.notifications import dispatch
from tests.conftest import at
from tests.reminders.conftest import SmtpServer, make_due

pytestmark = pytest.mark.django_db


def _notices(session, n, channel="email"):
    now = timezone.now() - dt.timedelta(seconds=1)
    return Reminder.objects.bulk_create(
        [
            Reminder(session=session, kind="reschedule", channel=channel, due_at=now)
            for _ in range(n)
        ]
    )


def _claimed_queries(n, booked):
    Reminder.objects.filter(session=booked).update(status="cancelled")
    _notices(booked, n)
    ids = dispatch.claim_due()
    assert len(ids) == n
    with CaptureQueriesContext(connection) as ctx:
        outcomes = dispatch.deliver_batch(ids)
    assert [o.result for o in outcomes] == ["sent"] * n
    return len(ctx.captured_queries)


def test_per_email_queries_do_not_grow_with_shared_reads(booked, mailoutbox):
    """Center, protocol, heads and checklists are read once per batch: the second batch of
    twice the size costs exactly one lock and one mark per extra reminder, in its own transaction."""
    small = _claimed_queries(3, booked)
    large = _claimed_queries(6, booked)
    per_reminder = (large - small) / 3
    assert per_reminder == 4, (small, large)  # BEGIN, lock, mark, COMMIT
    assert len(mailoutbox) == 9


def test_lab_checklists_of_a_batch_are_read_together(
    clinic, clinic_day, make_patient, no_quiet_hours, mailoutbox
):
    sessions = [
        services.book_session(
            patient=make_patient(mobile=""),
            dose_number=1,
            protocol=clinic["protocols"]["ocrelizumab_iv"],
            start=at(clinic_day, 8 + i),
            chair=clinic["chairs"][i],
        )
        for i in range(3)
    ]
    labs = Reminder.objects.filter(session__in=sessions, kind="lab_checklist")
    assert labs.count() == 3
    Reminder.objects.filter(session__in=sessions).exclude(kind="lab_checklist").update(
        status="cancelled"
    )
    make_due(labs)
    ids = dispatch.claim_due()
    with CaptureQueriesContext(connection) as ctx:
        outcomes = dispatch.deliver_batch(ids)
    assert [o.result for o in outcomes] == ["sent"] * 3
    lab_reads = [q for q in ctx.captured_queries if "labrequirement" in q["sql"]]
    assert len(lab_reads) == 1
    # Each email still names that patient's missing tests.
    assert all("Labs to get" in m.subject for m in mailoutbox) and len(mailoutbox) == 3


@pytest.mark.smtp
def test_one_smtp_connection_per_batch_and_a_fresh_one_after_a_failure(
    clinic, clinic_day, make_patient, no_quiet_hours, settings, monkeypatch
):
    opened = []
    real = dispatch.get_connection

    def counting(**kw):
        opened.append(1)
        return real(**kw)

    monkeypatch.setattr(dispatch, "get_connection", counting)
    settings.REMINDER_RETRY_BASE_SECONDS = 0.01
    with SmtpServer(fail_first=1) as server:
        settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
        settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", server.port
        session = services.book_session(
            patient=make_patient(mobile=""),
            dose_number=1,
            protocol=clinic["protocols"]["natalizumab"],
            start=at(clinic_day, 9),
            nurse=clinic["nurses"][1],
        )
        Reminder.objects.filter(session=session).update(status="cancelled")
        rows = _notices(session, 4)
        outcomes = dispatch.dispatch_inline()
        # The first DATA is refused (451): that reminder retries later; its connection is
        # dropped and the other three share one fresh connection.
        assert [o.result for o in outcomes] == ["retry", "sent", "sent", "sent"]
        assert len(opened) == 2
        assert sorted(server.handler.reminder_ids()) == sorted(r.pk for r in rows[1:])
        make_due(rows[0])
        assert [o.result for o in dispatch.dispatch_inline()] == ["sent"]
        assert sorted(server.handler.reminder_ids()) == sorted(r.pk for r in rows)


def _after_batch_read(monkeypatch, action):
    """Run `action` between the batch read and the first reminder's lock (another worker, STOP)."""
    real = dispatch._read_batch

    def read_then_act(ids, center):
        batch = real(ids, center)
        action()
        return batch

    monkeypatch.setattr(dispatch, "_read_batch", read_then_act)


def test_stop_after_the_batch_read_is_still_honoured(booked, sms_outbox, monkeypatch):
    from scheduling import inbound_sms as inbound

    Reminder.objects.filter(session=booked).update(status="cancelled")
    (text,) = _notices(booked, 1, channel="sms")
    ids = dispatch.claim_due()
    _after_batch_read(monkeypatch, lambda: inbound.opt_out(booked.patient.mobile))
    (outcome,) = dispatch.deliver_batch(ids)
    text.refresh_from_db()
    assert outcome.result in ("skipped", "noop")  # STOP may already have skipped the row
    assert text.status == "skipped" and sms_outbox == []


def test_a_text_sent_by_another_worker_after_the_batch_read_counts_against_the_cap(
    clinic, clinic_day, make_patient, no_quiet_hours, sms_outbox, monkeypatch
):
    patient = make_patient(email="")  # texts only
    session = services.book_session(
        patient=patient,
        protocol=clinic["protocols"]["ocrelizumab_iv"],
        dose_number=1,
        start=at(clinic_day, 9),
    )
    prep = Reminder.objects.get(session=session, kind="prep")
    labs = Reminder.objects.get(session=session, kind="lab_checklist")
    make_due(prep)
    ids = dispatch.claim_due()
    assert ids == [prep.pk]

    def other_worker_sends_labs():
        Reminder.objects.filter(pk=labs.pk).update(
            status="sent", sent_at=timezone.now(), provider_message_id="elsewhere"
        )

    _after_batch_read(monkeypatch, other_worker_sends_labs)
    (outcome,) = dispatch.deliver_batch(ids)
    assert outcome.result == "deferred" and outcome.detail == "daily text limit"
    assert sms_outbox == []


def test_a_move_after_the_batch_read_renders_the_new_time(booked, mailoutbox, monkeypatch):
    prep = Reminder.objects.get(session=booked, kind="prep", channel="email")
    Reminder.objects.filter(session=booked).exclude(pk=prep.pk).update(status="cancelled")
    make_due(prep)
    ids = dispatch.claim_due()

    # Warm the batch's render cache with the old time, then move the row behind it.
    def move():
        two = dt.timedelta(hours=2)
        phases = (
            "start",
            "premed_start",
            "infusion_start",
            "infusion_end",
            "observation_end",
            "chair_release_at",
        )
        type(booked).objects.filter(pk=booked.pk).update(
            **{f: F(f) + two for f in phases}, updated_at=timezone.now()
        )

    real = dispatch._read_batch

    def read_warm_move(ids_, center):
        batch = real(ids_, center)
        batch.cache.parts(booked, center)
        move()
        return batch

    monkeypatch.setattr(dispatch, "_read_batch", read_warm_move)
    (outcome,) = dispatch.deliver_batch(ids)
    assert outcome.result == "sent"
    assert "arrive at 11:00 AM" in mailoutbox[0].body


def test_dispatch_task_queues_chunks_covering_each_claimed_reminder_once(
    booked, settings, monkeypatch
):
    from scheduling import tasks

    settings.REMINDER_SEND_CHUNK = 4
    Reminder.objects.filter(session=booked).update(status="cancelled")
    rows = _notices(booked, 10)
    queued = []
    monkeypatch.setattr(tasks.send_reminders, "delay", lambda ids: queued.append(list(ids)))
    assert tasks.dispatch_due_reminders() == 10
    assert [len(c) for c in queued] == [4, 4, 2]
    assert sorted(pk for c in queued for pk in c) == sorted(r.pk for r in rows)
    assert set(
        Reminder.objects.filter(pk__in=[r.pk for r in rows]).values_list("status", flat=True)
    ) == {"sending"}


def test_send_reminders_task_is_idempotent(booked, mailoutbox):
    from scheduling import tasks

    Reminder.objects.filter(session=booked).update(status="cancelled")
    _notices(booked, 3)
    ids = dispatch.claim_due()
    assert tasks.send_reminders.run(ids) == 3
    assert tasks.send_reminders.run(ids) == 0  # a redelivered chunk sends nothing again
    assert len(mailoutbox) == 3


def test_the_hand_written_lock_reads_what_the_orm_reads(booked):
    from django.db import transaction
    from django.forms.models import model_to_dict

    r = Reminder.objects.filter(session=booked).first()
    with transaction.atomic():
        locked = dispatch._lock_reminder(r.pk)
        counted = dispatch._lock_reminder(r.pk, timezone.now() - dt.timedelta(days=1))
    orm = Reminder.objects.select_related("session__patient").get(pk=r.pk)
    for got, want in (
        (locked, orm),
        (locked.session, orm.session),
        (locked.session.patient, orm.session.patient),
    ):
        fields = [f.attname for f in type(want)._meta.concrete_fields]
        assert {f: getattr(got, f) for f in fields} == {f: getattr(want, f) for f in fields}
        assert model_to_dict(got) == model_to_dict(want)
    assert counted.texts_today == 0
    with transaction.atomic():
        assert dispatch._lock_reminder(10**9) is None
