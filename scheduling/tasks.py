"""Celery tasks: the minute-by-minute reminder dispatcher and the charge nurse's digest.

dispatch_due_reminders (beat, every 60 s) claims due reminders in batches and queues one
send_reminders task per chunk of REMINDER_SEND_CHUNK ids (each reminder still has its own
lock-send-mark transaction inside the task; the chunk only shares reads, rendering and the mail
connection). Retries are not broker ETAs: a transient failure puts the row
back to `pending` with a later due time, and a later dispatch run picks it up.
"""

from __future__ import annotations

import logging
import time

from celery import shared_task
from django.conf import settings
from django.db import transaction

from scheduling.notifications import dispatch

log = logging.getLogger(__name__)

# Reminders per send task (settings.REMINDER_SEND_CHUNK overrides).
SEND_CHUNK = 25


@shared_task(
    name="scheduling.tasks.send_reminder",
    acks_late=True,
    reject_on_worker_lost=True,
    ignore_result=True,
)
def send_reminder(reminder_id: int) -> str:
    """Send one claimed reminder (idempotent: a second delivery of this task does nothing)."""
    outcome = dispatch.deliver(reminder_id)
    log.info("reminder %s: %s %s", reminder_id, outcome.result, outcome.detail)
    return outcome.result


@shared_task(
    name="scheduling.tasks.send_reminders",
    acks_late=True,
    reject_on_worker_lost=True,
    ignore_result=True,
)
def send_reminders(reminder_ids: list[int]) -> int:
    """Send a chunk of claimed reminders; returns how many went out. Idempotent like
    send_reminder: a redelivered chunk skips the ones already sent."""
    outcomes = dispatch.deliver_batch(reminder_ids)
    for outcome in outcomes:
        log.info("reminder %s: %s %s", outcome.reminder_id, outcome.result, outcome.detail)
    return sum(o.result == "sent" for o in outcomes)


def _chunks(ids: list[int], size: int):
    for i in range(0, len(ids), size):
        yield ids[i : i + size]


@shared_task(name="scheduling.tasks.dispatch_due_reminders", acks_late=True, ignore_result=True)
def dispatch_due_reminders() -> int:
    """Claim everything due (batch by batch, within a time budget) and queue a send task per
    chunk. Queued only after the claim committed; if this process dies in between, the lease
    runs out and the next run claims the rows again. Small chunks keep every worker process
    busy and a lost task's rows few."""
    deadline = time.monotonic() + settings.REMINDER_DISPATCH_BUDGET_SECONDS
    chunk = max(1, getattr(settings, "REMINDER_SEND_CHUNK", SEND_CHUNK))
    total = 0
    while time.monotonic() < deadline:
        ids = dispatch.claim_due()
        for part in _chunks(ids, chunk):
            send_reminders.delay(part)
        total += len(ids)
        if len(ids) < settings.REMINDER_CLAIM_BATCH:
            break
    if total:
        log.info("queued %s reminder(s)", total)
    return total


@shared_task(name="scheduling.tasks.send_charge_nurse_digest", acks_late=True, ignore_result=True)
def send_charge_nurse_digest() -> int:
    """Each afternoon: tomorrow's patients whose labs or REMS check are not ready."""
    from scheduling.digest import send_digest

    return send_digest()


@shared_task(
    name="scheduling.tasks.notify_front_desk_of_cancellation",
    acks_late=True,
    ignore_result=True,
    autoretry_for=(OSError,),
    retry_backoff=30,
    retry_jitter=True,
    max_retries=5,
)
def notify_front_desk_of_cancellation(session_id: int) -> bool:
    """Email the front desk that a patient cancelled from their link (the chair is free)."""
    from scheduling.digest import send_front_desk_cancellation

    return send_front_desk_cancellation(session_id)


def queue_front_desk_notice(session_id: int) -> None:
    """After the cancel commits, tell the front desk; if the broker is down, send inline."""

    def _go():
        try:
            notify_front_desk_of_cancellation.delay(session_id)
        except Exception:  # broker unreachable: the email matters more than the queue
            log.warning("broker unavailable; emailing the front desk inline", exc_info=True)
            try:
                notify_front_desk_of_cancellation.run(session_id)
            except Exception:
                log.exception("could not tell the front desk about session %s", session_id)

    transaction.on_commit(_go)


@shared_task(
    name="scheduling.tasks.run_planner",
    acks_late=True,
    reject_on_worker_lost=True,
    ignore_result=True,
    time_limit=900,
)
def run_planner(run_id: int) -> str:
    """Solve one planner run (idempotent: a finished run is left as it is)."""
    from scheduling.services.planner import execute_plan

    return execute_plan(run_id=run_id).status


@shared_task(name="scheduling.tasks.deliver_plan_offers", acks_late=True, ignore_result=True)
def deliver_plan_offers() -> int:
    """Beat, every minute: planner offers whose send time has come go to the patients."""
    from scheduling.notifications.offers import deliver_due_offers

    return deliver_due_offers()
