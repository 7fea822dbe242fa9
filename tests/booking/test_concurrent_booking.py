"""Twenty coordinators click "Book" on the same chair and time at once: exactly one wins.

Real threads, each with its own PostgreSQL connection, released together by a barrier.
"""

import threading

import pytest
from django.db import close_old_connections, connection

from scheduling import services
from scheduling.models import InfusionSession
from tests.conftest import at

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

N = 20


def _race(fn, n=N):
    barrier = threading.Barrier(n)
    outcomes = []
    lock = threading.Lock()

    def worker(i):
        try:
            barrier.wait(timeout=30)
            fn(i)
            result = "ok"
        except services.BookingConflict:
            result = "conflict"
        except services.SchedulingError as exc:
            result = f"refused: {exc}"
        except Exception as exc:  # noqa: BLE001 - any other outcome fails the test below
            result = f"error: {type(exc).__name__}: {exc}"
        finally:
            close_old_connections()
            connection.close()
        with lock:
            outcomes.append(result)

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    return outcomes


def test_twenty_patients_same_chair_same_time(clinic, clinic_day, make_patient):
    patients = [make_patient() for _ in range(N)]
    chair = clinic["chairs"][0]
    ocrevus = clinic["protocols"]["ocrelizumab_iv"]

    outcomes = _race(
        lambda i: services.book_session(
            patient=patients[i],
            protocol=ocrevus,
            dose_number=1,
            start=at(clinic_day, 9),
            chair=chair,
        )
    )

    assert sorted(outcomes) == ["conflict"] * (N - 1) + ["ok"]
    assert InfusionSession.objects.filter(chair=chair).count() == 1


def test_one_patient_twenty_chairs_same_time(clinic, clinic_day, make_patient):
    patient = make_patient()
    tysabri = clinic["protocols"]["natalizumab"]
    chairs = clinic["chairs"]

    def book(i):
        services.book_session(
            patient=patient,
            protocol=tysabri,
            dose_number=1,
            start=at(clinic_day, 9),
            chair=chairs[i % len(chairs)],
        )

    outcomes = _race(book)
    assert outcomes.count("ok") == 1
    assert all(o == "ok" or o == "conflict" or o.startswith("refused: ") for o in outcomes), (
        outcomes
    )
    assert InfusionSession.objects.filter(patient=patient).count() == 1


def test_one_patient_dose_one_twenty_times_on_different_days(clinic, clinic_day, make_patient):
    """No overlap to catch here: only the patient lock stops two 'dose 1' bookings."""
    import datetime as dt

    patient = make_patient()
    tysabri = clinic["protocols"]["natalizumab"]

    def book(i):
        services.book_session(
            patient=patient,
            protocol=tysabri,
            dose_number=1,
            start=at(clinic_day + dt.timedelta(days=i % 5), 8 + i // 5),
        )

    outcomes = _race(book)
    assert outcomes.count("ok") == 1, outcomes
    assert InfusionSession.objects.filter(patient=patient, dose_number=1).count() == 1
