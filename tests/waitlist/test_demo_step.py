"""seed_demo's waitlist step: registered after the bookings; waitlists booked patients from
today to the day before their booking."""

from __future__ import annotations

import datetime as dt
import random
from types import SimpleNamespace

import pytest

from scheduling import services as booking
from scheduling.demo import STEPS
from tests.conftest import at
from waitlist.demo import seed_waitlist
from waitlist.models import WaitlistEntry

pytestmark = pytest.mark.django_db


def test_the_step_runs_after_the_bookings():
    names = [s.name for s in STEPS]
    assert names.index("waitlist") == names.index("bookings") + 1


def test_booked_patients_wait_for_an_earlier_chair(clinic, make_patient, visit_day):
    ocr = clinic["protocols"]["ocrelizumab_iv"]
    series = booking.book_series(patient=make_patient(), protocol=ocr, start=at(visit_day, 9))
    second = series.sessions.get(dose_number=2)
    lines = []
    today = visit_day - dt.timedelta(days=10)
    seed_waitlist(SimpleNamespace(today=today, rng=random.Random(1), say=lines.append))
    entry = WaitlistEntry.objects.get()
    assert (entry.patient_id, entry.dose_number) == (second.patient_id, 2)
    assert entry.earliest == today and entry.latest == visit_day + dt.timedelta(days=13)
    assert lines and "1 patients waiting" in lines[0]
