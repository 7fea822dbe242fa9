"""A result from the lab feed changes what staff see at once: the roster API, the day board,
the charge-nurse digest's not-ready list (readiness is computed on read, never cached)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from interop import inbound
from scheduling import digest, services
from tests.conftest import DEMO_PASSWORD, TZ, at
from tests.interop.conftest import oru

pytestmark = pytest.mark.django_db

JCV = ("70173-0", "JCV Ab", "Negative", "N", "F")
CBC = ("58410-2", "CBC", "done", "N", "F")
MRI = ("24590-2", "MR Brain", "stable", "", "F")


@pytest.fixture
def tysabri_session(clinic, clinic_day, make_patient, loinc_map):
    patient = make_patient(mrn="SHOW-1")
    return services.book_session(
        patient=patient,
        protocol=clinic["protocols"]["natalizumab"],
        dose_number=1,
        start=at(clinic_day, 9),
        chair=clinic["chairs"][0],
    )


def _roster_lab(client, day, session):
    rows = client.get("/api/roster/", {"date": day.isoformat()}).json()
    rows = rows.get("results", rows) if isinstance(rows, dict) else rows
    return next(r for r in rows if r["id"] == session.pk)["lab"]["status"]


def test_roster_board_and_digest_follow_a_new_result(
    tysabri_session, clinic_day, make_staff, client
):
    frontdesk = make_staff("front_desk")
    client.login(username=frontdesk.username, password=DEMO_PASSWORD)
    board = client.get("/board/", {"date": clinic_day.isoformat()})
    assert board.status_code == 200 and b"labs red" in board.content
    nurse = make_staff("nurse")
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=nurse).key}")
    assert _roster_lab(api, clinic_day, tysabri_session) == "red"
    assert [r["lab_status"] for r in digest.not_ready(clinic_day)] == ["red"]

    drawn = dt.datetime.combine(timezone.now().astimezone(TZ).date(), dt.time(8), tzinfo=TZ)
    answer = inbound.receive(oru("SHOW1", "SHOW-1", [JCV, CBC, MRI], collected=drawn).encode())
    assert answer.ack_code == "AA", answer.text

    assert _roster_lab(api, clinic_day, tysabri_session) == "green"
    # Still on the digest for its REMS check, no longer for labs.
    assert [(r["lab_status"], r["labs"]) for r in digest.not_ready(clinic_day)] == [("green", [])]
    board = client.get("/board/", {"date": clinic_day.isoformat()})
    assert b"labs green" in board.content and b"labs red" not in board.content
