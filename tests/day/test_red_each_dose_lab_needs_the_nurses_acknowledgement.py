"""At the chair: starting a dose whose "each dose" lab is red needs the nurse's explicit
acknowledgement, stored on the session and in the audit row."""

import pytest
import time_machine

from scheduling import services
from scheduling.exceptions import LabGateUnacknowledged
from scheduling.models import AuditEvent
from tests.conftest import at

pytestmark = [pytest.mark.postgres, pytest.mark.django_db]


def test_mitoxantrone_with_red_labs_needs_an_acknowledgement(book_on, clinic_day, nurse):
    session = book_on(9, protocol="mitoxantrone")
    with time_machine.travel(at(clinic_day, 8, 50), tick=False):
        services.check_in(session=session, by=nurse)
        with pytest.raises(LabGateUnacknowledged, match="LVEF") as exc:
            services.start_infusion(session=session, by=nurse)
        assert exc.value.code == "labs"
        assert {c["resource"] for c in exc.value.conflicts} >= {"lvef", "cbc"}
        session.refresh_from_db()
        assert session.status == "checked_in" and session.started_at is None
        started = services.start_infusion(
            session=session, by=nurse, lab_acknowledgement="Echo and CBC seen on paper today"
        )
    assert started.status == "in_chair"
    assert started.start_lab_acknowledgement == "Echo and CBC seen on paper today"
    event = AuditEvent.objects.get(session=session, action="started")
    assert event.actor == nurse
    assert "lvef" in event.reason and "Echo and CBC seen on paper today" in event.reason


def test_the_api_answers_409_labs_then_starts_with_the_acknowledgement(
    book_on, clinic_day, nurse_api
):
    session = book_on(9, protocol="mitoxantrone")
    url = f"/api/sessions/{session.pk}"
    with time_machine.travel(at(clinic_day, 8, 50), tick=False):
        nurse_api.post(f"{url}/check-in/")
        refused = nurse_api.post(f"{url}/start/")
        assert refused.status_code == 409
        assert refused.json()["code"] == "labs" and refused.json()["conflicts"]
        ok = nurse_api.post(
            f"{url}/start/", {"lab_acknowledgement": "Results phoned in"}, format="json"
        )
    assert ok.status_code == 200, ok.json()
    assert ok.json()["status"] == "in_chair"


def test_green_labs_start_without_a_question(book_on, clinic_day, nurse):
    session = book_on(9)  # Ocrevus: no each-dose labs
    with time_machine.travel(at(clinic_day, 8, 50), tick=False):
        services.check_in(session=session, by=nurse)
        assert services.start_infusion(session=session, by=nurse).start_lab_acknowledgement == ""
