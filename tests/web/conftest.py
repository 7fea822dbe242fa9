"""Fixtures for the staff pages: a client per role and a booked clinic day."""

from __future__ import annotations

import pytest

from tests.conftest import DEMO_PASSWORD, at

# Patients due for their next dose (the planner pages and API use them).
from tests.planning.conftest import due_ocrevus, due_tysabri  # noqa: F401


@pytest.fixture
def login(client):
    def as_user(user):
        assert client.login(username=user.username, password=DEMO_PASSWORD)
        return client

    return as_user


@pytest.fixture
def front_desk(make_staff):
    return make_staff("front_desk", username="frontdesk")


@pytest.fixture
def nurse_user(make_staff, clinic):
    user = make_staff("nurse", username="nurse1")
    nurse = clinic["nurses"][1]  # the natalizumab-REMS nurse
    nurse.user = user
    nurse.save(update_fields=["user"])
    return user


@pytest.fixture
def manager(make_staff):
    return make_staff("manager", username="manager")


@pytest.fixture
def booked_day(clinic, clinic_day, make_patient, front_desk):
    """A clinic day with `n` sessions booked through the services; returns a builder."""
    from scheduling import services

    protocols = clinic["protocols"]
    made = {"n": 0}

    def build(n: int = 3):
        sessions = []
        for i in range(made["n"], made["n"] + n):
            patient = make_patient()
            if i % 2 == 0:
                protocol, hour = protocols["ocrelizumab_iv"], 7 + (i // 2) % 6
            else:
                protocol, hour = protocols["natalizumab"], 8 + (i // 2) % 8
            sessions.append(
                services.book_session(
                    patient=patient,
                    protocol=protocol,
                    dose_number=1,
                    start=at(clinic_day, hour, 15 * (i % 4)),
                    by=front_desk,
                )
            )
        made["n"] += n
        return sessions

    return build
