"""Celery task: the waitlist dispatcher (beat every minute, see waitlist.dispatcher)."""

from __future__ import annotations

from celery import shared_task


@shared_task(name="waitlist.tasks.dispatch_waitlist", acks_late=True, ignore_result=True)
def dispatch_waitlist() -> dict:
    """Expire holds and entries, offer freed chair time, send offer messages."""
    from waitlist.dispatcher import run_cycle

    return run_cycle()
