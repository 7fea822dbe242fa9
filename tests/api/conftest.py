"""API test helpers: clients logged in by role through a real token, and a booking helper."""

from __future__ import annotations

import pytest
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from tests.conftest import at

# Patients due for their next dose (the planner pages and API use them).
from tests.planning.conftest import due_ocrevus, due_tysabri  # noqa: F401


@pytest.fixture
def client_as(make_staff):
    """client_as("front_desk") -> an APIClient sending `Authorization: Token <key>`."""

    def make(role: str | None, **extra) -> APIClient:
        client = APIClient()
        if role is None:
            return client
        if role == "no_role":
            from django.contrib.auth.models import User

            user = User.objects.create_user(
                username=f"norole_{User.objects.count() + 1}", password="x-pass-2026"
            )
        else:
            user = make_staff(role, **extra)
        token = Token.objects.create(user=user)
        client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
        client.user = user
        return client

    return make


@pytest.fixture
def desk(client_as):
    return client_as("front_desk")


@pytest.fixture
def nurse_api(client_as):
    return client_as("nurse")


@pytest.fixture
def manager_api(client_as):
    return client_as("manager")


@pytest.fixture
def book(desk):
    """book(patient, day, hour, protocol=..., **more) -> the API response of POST /api/sessions/."""

    def post(
        patient, day, hour, minute=0, protocol="natalizumab", dose_number=1, client=None, **more
    ):
        body = {
            "patient": patient.pk,
            "protocol": protocol,
            "dose_number": dose_number,
            "start": at(day, hour, minute).isoformat(),
            **more,
        }
        return (client or desk).post("/api/sessions/", body, format="json")

    return post


@pytest.fixture
def seed_sessions(clinic, make_patient):
    """seed_sessions(n, day, protocols) -> n booked sessions on `day`, written as rows with the
    engine's timeline (for read-path tests that need volume, not the booking rules): extra chairs
    are added so every session has its own chair slot, each patient has one session."""
    from scheduling import engine
    from scheduling.models import Chair, InfusionSession, Protocol
    from scheduling.world import dose_rule_specs

    def make(
        n: int, day, protocols=("ocrelizumab_iv", "natalizumab", "ocrelizumab_hyaluronidase_sc")
    ):
        per_chair = 2  # 08:00 and 13:00, both done before 19:00
        needed = -(-n // per_chair)
        chairs = list(Chair.objects.filter(active=True).order_by("pk"))
        for i in range(len(chairs), needed):
            chairs.append(
                Chair.objects.create(name=f"X{i}", kind="recliner", display_order=100 + i)
            )
        nurses = clinic["nurses"]
        protos = [Protocol.objects.get(code=c) for c in protocols]
        made = []
        for k in range(n):
            protocol = protos[k % len(protos)]
            timing = engine.rule_for(dose_rule_specs(protocol), 1).timing
            t = engine.build_timeline(at(day, 8 if k % per_chair == 0 else 13), timing, 15)
            made.append(
                InfusionSession.objects.create(
                    patient=make_patient(),
                    protocol=protocol,
                    dose_number=1,
                    chair=chairs[k // per_chair],
                    nurse=nurses[k % len(nurses)],
                    start=t.start,
                    premed_start=t.premed_start,
                    infusion_start=t.infusion_start,
                    infusion_end=t.infusion_end,
                    observation_end=t.observation_end,
                    chair_release_at=t.chair_release_at,
                )
            )
        return made

    return make
