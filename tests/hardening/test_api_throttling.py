"""API abuse: per-user and per-address throttles answer 429 with Retry-After, and guessing tokens
locks the address out before a guessed token could be tried."""

import pytest
from django.test import override_settings
from rest_framework.test import APIClient

pytestmark = pytest.mark.django_db


def test_bad_tokens_become_429_with_retry_after(clinic, desk):
    with override_settings(API_AUTH_FAILURE_RATE="10/min"):
        guesser = APIClient()
        codes = []
        for i in range(30):
            guesser.credentials(HTTP_AUTHORIZATION=f"Token guess{i:036d}")
            codes.append(guesser.get("/api/sessions/").status_code)
        assert codes[:10] == [401] * 10
        assert codes[10:] == [429] * 20
        last = guesser.get("/api/sessions/")
        assert last.status_code == 429
        assert 1 <= int(last["Retry-After"]) <= 60
        # Locked before authentication: even a real token from this address waits.
        assert desk.get("/api/sessions/").status_code == 429


def test_anonymous_calls_without_credentials_are_counted_too(clinic):
    with override_settings(API_AUTH_FAILURE_RATE="5/min"):
        anon = APIClient()
        codes = [anon.get("/api/patients/").status_code for _ in range(8)]
        assert codes == [401] * 5 + [429] * 3


def test_user_throttle_per_token(clinic, client_as, monkeypatch):
    from rest_framework.throttling import SimpleRateThrottle

    # DRF copies the rates onto the class at import time, so the test sets them there.
    monkeypatch.setattr(
        SimpleRateThrottle, "THROTTLE_RATES", {**SimpleRateThrottle.THROTTLE_RATES, "user": "5/min"}
    )
    one, two = client_as("front_desk"), client_as("nurse")
    codes = [one.get("/api/chairs/").status_code for _ in range(7)]
    assert codes == [200] * 5 + [429] * 2
    response = one.get("/api/chairs/")
    assert int(response["Retry-After"]) >= 1
    # Another user has their own allowance.
    assert two.get("/api/chairs/").status_code == 200
