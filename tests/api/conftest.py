"""API test helpers: clients logged in by role through a real token, and a booking helper."""

from __future__ import annotations

import pytest
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from tests.conftest import at


@pytest.fixture
def client_as(make_staff):
    """client_as("front_desk") -> an APIClient sending `Authorization: Token <key>`."""

    def make(role: str | None, **extra) -> APIClient:
        client = APIClient()
        if role is None:
            return client
        if role == "no_role":
            from django.contrib.auth.models import User

            user = User.objects.create_user(username=f"norole_{User.objects.count() + 1}", password="x-pass-2026")
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

    def post(patient, day, hour, minute=0, protocol="natalizumab", dose_number=1, client=None, **more):
        body = {"patient": patient.pk, "protocol": protocol, "dose_number": dose_number,
                "start": at(day, hour, minute).isoformat(), **more}
        return (client or desk).post("/api/sessions/", body, format="json")

    return post
