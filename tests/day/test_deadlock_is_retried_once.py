"""A deadlock PostgreSQL reports is retried once inside the service, never a 500."""

import threading

import pytest
from django.db import connection, transaction

from scheduling.exceptions import BookingConflict
from scheduling.models import Chair
from scheduling.services import retry_on_deadlock

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_the_victim_of_a_real_deadlock_runs_again_and_succeeds(clinic):
    a, b = clinic["chairs"][0].pk, clinic["chairs"][1].pk
    barrier = threading.Barrier(2)
    calls, results = [], {}

    def crossing(first, second, name):
        @retry_on_deadlock
        @transaction.atomic
        def write():
            calls.append(name)
            list(Chair.objects.select_for_update().filter(pk=first).values_list("pk"))
            if calls.count(name) == 1:
                barrier.wait(timeout=10)  # both hold their first row: the crossing deadlocks
            list(Chair.objects.select_for_update().filter(pk=second).values_list("pk"))
            Chair.objects.filter(pk=second).update(area=f"by {name}")
            return name

        try:
            results[name] = write()
        except Exception as exc:  # noqa: BLE001 - the test shows what escaped
            results[name] = exc
        finally:
            connection.close()

    threads = [
        threading.Thread(target=crossing, args=(a, b, "one")),
        threading.Thread(target=crossing, args=(b, a, "two")),
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)

    assert results == {"one": "one", "two": "two"}, results
    # Three runs: both first tries, and the deadlock victim's one retry.
    assert len(calls) == 3


def test_a_second_deadlock_is_a_409_busy(monkeypatch):
    from django.db import OperationalError

    class Deadlock(Exception):
        sqlstate = "40P01"

    attempts = []

    @retry_on_deadlock
    def always_deadlocks():
        attempts.append(1)
        try:
            raise Deadlock
        except Deadlock as cause:
            raise OperationalError("deadlock detected") from cause

    with pytest.raises(BookingConflict) as exc:
        always_deadlocks()
    assert exc.value.code == "busy" and "Try again" in str(exc.value)
    assert len(attempts) == 2


def test_other_database_errors_are_not_retried():
    from django.db import OperationalError

    attempts = []

    @retry_on_deadlock
    def broken():
        attempts.append(1)
        raise OperationalError("connection lost")

    with pytest.raises(OperationalError):
        broken()
    assert attempts == [1]
