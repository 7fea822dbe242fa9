"""Twenty clients race for one slot over the real API on PostgreSQL (DESIGN §5): exactly one
201, the rest 409, and one row in the database."""

import threading
from collections import Counter

import pytest
from django.db import connection
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from scheduling.models import Chair, InfusionSession, Nurse, NurseShift
from tests.conftest import at

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

N = 20


def _race(bodies, token):
    """POST every body at once, each from its own thread and database connection."""
    barrier = threading.Barrier(len(bodies))
    answers = [None] * len(bodies)

    def client_run(i, body):
        try:
            client = APIClient()
            client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
            barrier.wait(timeout=30)
            response = client.post("/api/sessions/", body, format="json")
            answers[i] = (response.status_code, response.json())
        except Exception as exc:  # noqa: BLE001 - a crash must show up in the counts, not hang
            answers[i] = (f"error: {exc!r}", None)
        finally:
            connection.close()

    threads = [threading.Thread(target=client_run, args=(i, b)) for i, b in enumerate(bodies)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    return answers


def test_twenty_patients_one_chair_one_time(clinic, clinic_day, make_patient, make_staff):
    token = Token.objects.create(user=make_staff("front_desk")).key
    chair = clinic["chairs"][0]
    start = at(clinic_day, 9).isoformat()
    bodies = [
        {
            "patient": make_patient().pk,
            "protocol": "ocrelizumab_iv",
            "dose_number": 1,
            "start": start,
            "chair": chair.pk,
        }
        for _ in range(N)
    ]

    answers = _race(bodies, token)

    counts = Counter(code for code, _ in answers)
    assert counts == {201: 1, 409: N - 1}, counts
    for code, body in answers:
        if code == 409:
            assert body["code"] == "conflict"
            assert any(c["resource"] == f"chair:{chair.pk}" for c in body["conflicts"]), body
    assert InfusionSession.objects.filter(chair=chair).count() == 1


def test_one_patient_twenty_chairs_one_time(clinic, clinic_day, make_patient, make_staff):
    token = Token.objects.create(user=make_staff("front_desk")).key
    # Enough chairs and nurses that only the patient can clash.
    chairs = list(clinic["chairs"][:6]) + [
        Chair.objects.create(name=f"Z{i}", kind="recliner") for i in range(N)
    ]
    for i in range(N):
        nurse = Nurse.objects.create(name=f"Float {i}", max_concurrent_patients=4)
        NurseShift.objects.create(
            nurse=nurse,
            weekday=clinic_day.weekday(),
            start=at(clinic_day, 7).time(),
            end=at(clinic_day, 19).time(),
        )
    patient = make_patient()
    start = at(clinic_day, 9).isoformat()
    bodies = [
        {
            "patient": patient.pk,
            "protocol": "ocrelizumab_hyaluronidase_sc",
            "dose_number": 1,
            "start": start,
            "chair": chairs[i].pk,
        }
        for i in range(N)
    ]

    answers = _race(bodies, token)

    counts = Counter(code for code, _ in answers)
    assert counts[201] == 1, answers
    # The losers see the patient taken or, when they read after the winner committed, dose 1
    # already booked: both are conflicts (409) naming what is in the way, never a 400 or 500.
    assert counts[409] == N - 1, counts
    winner = next(body for code, body in answers if code == 201)
    for code, body in answers:
        if code == 409:
            assert body["code"] == "conflict" and body["detail"], body
            assert any(
                (c["rule"] == "patient" and c["resource"] == f"patient:{patient.pk}")
                or (c["rule"] == "dose" and c["resource"] == f"session:{winner['id']}")
                for c in body["conflicts"]
            ), body
    assert InfusionSession.objects.filter(patient=patient).count() == 1


def test_twenty_bookings_straight_through_the_service(clinic, clinic_day, make_patient, make_staff):
    """The same race one layer down: services.book_session from 20 threads, 20 patients."""
    from scheduling import services
    from scheduling.exceptions import BookingConflict

    user = make_staff("front_desk")
    chair = clinic["chairs"][1]
    protocol = clinic["protocols"]["ocrelizumab_iv"]
    patients = [make_patient() for _ in range(N)]
    barrier = threading.Barrier(N)
    outcomes = []

    def run(patient):
        try:
            barrier.wait(timeout=30)
            services.book_session(
                patient=patient,
                protocol=protocol,
                dose_number=1,
                start=at(clinic_day, 11),
                by=user,
                chair=chair,
            )
            outcomes.append("booked")
        except BookingConflict:
            outcomes.append("conflict")
        except Exception as exc:  # noqa: BLE001
            outcomes.append(repr(exc))
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(p,)) for p in patients]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)

    assert Counter(outcomes) == {"booked": 1, "conflict": N - 1}, Counter(outcomes)
    assert InfusionSession.objects.filter(chair=chair).count() == 1
