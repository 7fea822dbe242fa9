"""A small hand-made history with known answers: sessions written straight to the table with
planned phases and actual times given in minutes from the planned start."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from tests.conftest import TZ


@pytest.fixture
def past_monday():
    """A Monday two to three weeks ago (center-local), so every session is history."""
    today = timezone.now().astimezone(TZ).date()
    return today - dt.timedelta(days=today.weekday() + 14)


@pytest.fixture
def history(clinic, make_patient):
    """history(day, "09:00", arrived=-5, seated=0, started=10, discharged=130, ...) -> session.

    Planned: a Tysabri-like dose, no premedication, 60 min infusion, 60 min observation, 15 min
    turnover. Actual offsets are minutes from the planned start; None leaves the field empty.
    """
    from scheduling.models import InfusionSession

    protocol = clinic["protocols"]["natalizumab"]

    def make(
        day: dt.date,
        clock: str,
        *,
        status: str = "completed",
        arrived: int | None = -5,
        seated: int | None = 0,
        started: int | None = 5,
        discharged: int | None = 125,
        chair=None,
        nurse=None,
        protocol_code: str | None = None,
        cancelled_before: dt.timedelta | None = None,
        booked_before: dt.timedelta = dt.timedelta(days=20),
        patient=None,
    ) -> InfusionSession:
        h, m = map(int, clock.split(":"))
        start = dt.datetime.combine(day, dt.time(h, m), tzinfo=TZ)

        def at(minutes):
            return None if minutes is None else start + dt.timedelta(minutes=minutes)

        if status in ("no_show", "cancelled", "booked", "confirmed"):
            arrived = seated = started = discharged = None
        session = InfusionSession.objects.create(
            patient=patient or make_patient(),
            protocol=clinic["protocols"][protocol_code] if protocol_code else protocol,
            dose_number=20,
            chair=chair or clinic["chairs"][0],
            nurse=nurse or clinic["nurses"][1],
            status=status,
            start=start,
            premed_start=start,
            infusion_start=start,
            infusion_end=start + dt.timedelta(minutes=60),
            observation_end=start + dt.timedelta(minutes=120),
            chair_release_at=start + dt.timedelta(minutes=135),
            checked_in_at=at(arrived),
            in_chair_at=at(seated),
            started_at=at(started),
            completed_at=at(discharged),
            no_show_at=start + dt.timedelta(minutes=30) if status == "no_show" else None,
            cancelled_at=start - cancelled_before if cancelled_before else None,
            cancel_reason="patient called" if status == "cancelled" else "",
        )
        # created_at is auto_now_add: set the booking moment afterwards.
        InfusionSession.objects.filter(pk=session.pk).update(created_at=start - booked_before)
        return session

    return make


def period(day: dt.date, days: int = 7, **kw):
    from analytics.selectors import Filters

    return Filters(date_from=day, date_to=day + dt.timedelta(days=days - 1), **kw)
