"""Celery tasks of the orders app."""

from celery import shared_task

from orders import notices


@shared_task(
    name="orders.tasks.send_authorization_expiry_notices", acks_late=True, ignore_result=True
)
def send_authorization_expiry_notices() -> int:
    """Daily: staff emails for authorizations ending soon with sessions booked after them."""
    return notices.send_expiry_notices()
