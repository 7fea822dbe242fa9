"""Who may do what: front desk and manager book; nurses read and run the day; no role, no entry."""

import pytest

from scheduling.models import InfusionSession
from tests.conftest import at

pytestmark = pytest.mark.django_db

READS = [
    "/api/protocols/",
    "/api/chairs/",
    "/api/nurses/",
    "/api/patients/",
    "/api/sessions/",
    "/api/roster/",
    "/api/due/",
]


@pytest.fixture
def session(clinic, clinic_day, make_patient, book):
    response = book(make_patient(), clinic_day, 9, protocol="ocrelizumab_iv")
    assert response.status_code == 201
    return response.json()


@pytest.mark.parametrize("role", ["front_desk", "nurse", "manager"])
@pytest.mark.parametrize("url", READS)
def test_every_role_reads(role, url, clinic, client_as):
    assert client_as(role).get(url).status_code == 200


@pytest.mark.parametrize("url", READS)
def test_anonymous_gets_401(url, clinic, client_as):
    response = client_as(None).get(url)
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Token"


def test_the_schema_is_for_signed_in_callers_only(clinic, client_as):
    # Issue 10: an outsider learns nothing from the schema; integrators read it with their token.
    assert client_as(None).get("/api/schema/").status_code == 401
    assert client_as("front_desk").get("/api/schema/").status_code == 200


@pytest.mark.parametrize("url", READS)
def test_a_user_without_a_role_gets_403(url, clinic, client_as):
    assert client_as("no_role").get(url).status_code == 403


def test_a_bad_token_is_401(clinic):
    from rest_framework.test import APIClient

    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION="Token not-a-real-token")
    assert client.get("/api/sessions/").status_code == 401


def test_session_login_works_too(clinic, make_staff, client):
    from tests.conftest import DEMO_PASSWORD

    user = make_staff("nurse")
    assert client.login(username=user.username, password=DEMO_PASSWORD)
    assert client.get("/api/roster/").status_code == 200


@pytest.mark.parametrize(
    "role,allowed",
    [("front_desk", True), ("manager", True), ("nurse", False), ("no_role", False), (None, False)],
)
def test_who_books(role, allowed, clinic, clinic_day, make_patient, client_as):
    body = {
        "patient": make_patient().pk,
        "protocol": "natalizumab",
        "dose_number": 1,
        "start": at(clinic_day, 9).isoformat(),
    }

    response = client_as(role).post("/api/sessions/", body, format="json")

    expected = 201 if allowed else (401 if role is None else 403)
    assert response.status_code == expected
    assert InfusionSession.objects.exists() == allowed


@pytest.mark.parametrize(
    "role,allowed", [("front_desk", True), ("manager", True), ("nurse", False)]
)
def test_who_books_series_and_creates_patients(
    role, allowed, clinic, clinic_day, make_patient, client_as
):
    client = client_as(role)
    series = client.post(
        "/api/series/",
        {
            "patient": make_patient().pk,
            "protocol": "ocrelizumab_iv",
            "start": at(clinic_day, 8).isoformat(),
        },
        format="json",
    )
    patient = client.post(
        "/api/patients/",
        {"mrn": f"P-{role}", "first_name": "A", "last_name": "B", "date_of_birth": "1990-01-01"},
        format="json",
    )

    assert series.status_code == (201 if allowed else 403)
    assert patient.status_code == (201 if allowed else 403)


# action -> roles allowed (the rest get 403)
ACTIONS = {
    "cancel": {"front_desk", "manager"},
    "reschedule": {"front_desk", "manager"},
    "confirm": {"front_desk", "nurse", "manager"},
    "check-in": {"front_desk", "nurse", "manager"},
    "no-show": {"front_desk", "nurse", "manager"},
    "rems-check": {"nurse", "manager"},
    "start": {"nurse", "manager"},
    "complete": {"nurse", "manager"},
}


@pytest.mark.parametrize("role", ["front_desk", "nurse", "manager", "no_role"])
@pytest.mark.parametrize("action", sorted(ACTIONS))
def test_action_matrix(action, role, session, client_as, clinic_day):
    body = {
        "cancel": {"reason": "test"},
        "reschedule": {"start": at(clinic_day, 10).isoformat()},
    }.get(action, {})

    response = client_as(role).post(f"/api/sessions/{session['id']}/{action}/", body, format="json")

    if role in ACTIONS[action]:
        # Allowed: the service answers: 200, 409 when the state or the clock does not allow it
        # yet (the session is next week), 400 for a REMS check on a drug without REMS.
        assert response.status_code in (200, 400, 409), response.content
    else:
        assert response.status_code == 403
        assert InfusionSession.objects.get(pk=session["id"]).status == "booked"


def test_a_nurse_cannot_cancel(session, nurse_api):
    response = nurse_api.post(
        f"/api/sessions/{session['id']}/cancel/", {"reason": "no"}, format="json"
    )

    assert response.status_code == 403
    assert InfusionSession.objects.get(pk=session["id"]).status == "booked"
