"""schemathesis against the live OpenAPI schema: every operation, every check, with a manager's
token, on a small real center. The contract: no 5xx and no answer that contradicts the schema.

Bounded: SCHEMATHESIS_MAX_EXAMPLES cases per operation (default 30) in positive and negative
modes, deterministic, no shrinking budget blow-up. A failure found here is fixed in the app and
kept as a plain regression test (tests/hardening/test_schemathesis_regressions.py).
"""

from __future__ import annotations

import datetime as dt
import os

import pytest
import schemathesis
from django.test import override_settings
from hypothesis import HealthCheck, settings
from rest_framework.authtoken.models import Token

from tests.conftest import at

MAX_EXAMPLES = int(os.environ.get("SCHEMATHESIS_MAX_EXAMPLES", "30"))
COUNTS: dict[str, int] = {}


@pytest.fixture
def api_token(db, clinic, make_staff, make_patient, clinic_day):
    """A manager's token (every operation is theirs to call) and a center with data in it, so
    lists and details answer with real rows that the response schemas must describe."""
    from scheduling import services

    manager = make_staff("manager", username="schemathesis")
    patients = [make_patient() for _ in range(3)]
    services.book_session(
        patient=patients[0],
        protocol=clinic["protocols"]["natalizumab"],
        dose_number=1,
        start=at(clinic_day, 9),
        by=manager,
        **_booking_extras(),
    )
    return Token.objects.create(user=manager).key


def _booking_extras() -> dict:
    """Keyword arguments later rounds added to book_session (acknowledgements), when present."""
    import inspect

    from scheduling import services

    params = inspect.signature(services.book_session).parameters
    extras = {}
    for name in ("acknowledge_labs", "labs_acknowledged", "override_reason"):
        if name in params and params[name].default is inspect.Parameter.empty:
            extras[name] = "schemathesis setup" if "reason" in name else True
    return extras


@pytest.fixture
def in_process_app():
    """The WSGI app called in-process, inside the test's transaction. Django closes 'old'
    connections at the start and end of each request; in a test that is the test's own
    connection, so (like Django's test client) the signal is off while the test runs."""
    from django.core.signals import request_finished, request_started
    from django.db import close_old_connections

    from infusion_center.wsgi import application

    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield application
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture
def api_schema(api_token, in_process_app):
    """The schema as the running app serves it (GET /api/schema/ with the token), bound to the
    app so every probe, the auth and method checks included, goes to it in-process."""
    from schemathesis.config._checks import PositiveDataAcceptanceConfig

    schema = schemathesis.openapi.from_wsgi(
        "/api/schema/?format=json",
        in_process_app,
        headers={"Authorization": f"Token {api_token}"},
    )
    schema.config.generation.update(max_examples=MAX_EXAMPLES, deterministic=True)
    # A schema cannot say "this patient id must exist" or "the chair must be free": a
    # well-formed request refused for those reasons is a documented 400/404/409, not a bug.
    schema.config.checks.positive_data_acceptance = PositiveDataAcceptanceConfig(
        expected_statuses=["2XX", "400", "401", "403", "404", "409"]
    )
    return schema


schema = schemathesis.pytest.from_fixture("api_schema")


@pytest.mark.postgres
@schema.parametrize()
@settings(
    max_examples=MAX_EXAMPLES,
    deadline=None,
    suppress_health_check=list(HealthCheck),
    derandomize=True,
    print_blob=True,
)
def test_api_contract(case, api_token, in_process_app):
    # Guessing is not what this test is about: the failed-sign-in lock would turn the
    # missing-auth checks' 401s into 429s for every later case.
    with override_settings(API_AUTH_FAILURE_RATE="100000/min"):
        case.call_and_validate(app=in_process_app, headers={"Authorization": f"Token {api_token}"})
    key = f"{case.method} {case.path}"
    COUNTS[key] = COUNTS.get(key, 0) + 1


def test_counts_are_reported():
    """Prints how many operations and cases ran (the closing note quotes it)."""
    if COUNTS:
        print(f"schemathesis: {len(COUNTS)} operations, {sum(COUNTS.values())} cases")
    assert dt.date.today()
