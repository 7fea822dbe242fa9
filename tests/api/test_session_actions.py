"""Reschedule, cancel, confirm, check-in, REMS check, start, complete, no-show over the API."""

import datetime as dt

import pytest
import time_machine

from scheduling.models import InfusionSession
from tests.conftest import at

pytestmark = pytest.mark.django_db


@pytest.fixture
def booked(clinic, clinic_day, make_patient, book):
    def make(protocol="ocrelizumab_iv", hour=9, chair=None, patient=None):
        extra = {"chair": chair.pk} if chair else {}
        response = book(patient or make_patient(), clinic_day, hour, protocol=protocol, **extra)
        assert response.status_code == 201, response.json()
        return response.json()

    return make


def test_reschedule_moves_the_session_and_asks_for_confirmation_again(booked, clinic_day, desk):
    session = booked()
    InfusionSession.objects.filter(pk=session["id"]).update(status="confirmed")

    response = desk.post(
        f"/api/sessions/{session['id']}/reschedule/",
        {"start": at(clinic_day, 11).isoformat()},
        format="json",
    )

    assert response.status_code == 200, response.json()
    assert dt.datetime.fromisoformat(response.json()["start"]) == at(clinic_day, 11)
    assert response.json()["status"] == "booked"


def test_reschedule_onto_a_taken_chair_is_a_409(booked, clinic, clinic_day, desk):
    chair = clinic["chairs"][0]
    booked(chair=chair, hour=13)
    session = booked(chair=clinic["chairs"][1], hour=8)

    response = desk.post(
        f"/api/sessions/{session['id']}/reschedule/",
        {"start": at(clinic_day, 14).isoformat(), "chair": chair.pk},
        format="json",
    )

    assert response.status_code == 409
    assert any(c["resource"] == f"chair:{chair.pk}" for c in response.json()["conflicts"])
    assert InfusionSession.objects.get(pk=session["id"]).start == at(clinic_day, 8)


def test_reschedule_needs_an_aware_start(booked, clinic_day, desk):
    session = booked()

    response = desk.post(
        f"/api/sessions/{session['id']}/reschedule/",
        {"start": f"{clinic_day}T11:00:00"},
        format="json",
    )

    assert response.status_code == 400
    assert "start" in response.json()


def test_cancel_needs_a_reason(booked, desk):
    session = booked()

    response = desk.post(f"/api/sessions/{session['id']}/cancel/", {}, format="json")

    assert response.status_code == 400
    assert "reason" in response.json()
    assert InfusionSession.objects.get(pk=session["id"]).status == "booked"


def test_cancel_frees_the_chair(booked, clinic, clinic_day, make_patient, desk, book):
    chair = clinic["chairs"][0]
    session = booked(chair=chair)

    response = desk.post(
        f"/api/sessions/{session['id']}/cancel/", {"reason": "Patient has a cold"}, format="json"
    )

    assert response.status_code == 200, response.json()
    assert response.json()["status"] == "cancelled"
    assert response.json()["cancel_reason"] == "Patient has a cold"
    assert (
        book(make_patient(), clinic_day, 9, protocol="ocrelizumab_iv", chair=chair.pk).status_code
        == 201
    )


def test_a_cancelled_session_cannot_be_cancelled_again(booked, desk):
    session = booked()
    assert (
        desk.post(
            f"/api/sessions/{session['id']}/cancel/", {"reason": "x"}, format="json"
        ).status_code
        == 200
    )

    response = desk.post(
        f"/api/sessions/{session['id']}/cancel/", {"reason": "again"}, format="json"
    )

    # Already cancelled: a state conflict with a sentence, not bad input.
    assert response.status_code == 409
    assert response.json()["code"] == "state"
    assert "cancelled" in response.json()["detail"]


def test_the_day_of_the_infusion_for_a_rems_drug(booked, nurse_api, clinic_day):
    session = booked(protocol="natalizumab")
    url = f"/api/sessions/{session['id']}"

    assert nurse_api.post(f"{url}/confirm/").json()["status"] == "confirmed"
    with time_machine.travel(at(clinic_day, 8, 45), tick=False):
        assert nurse_api.post(f"{url}/check-in/").json()["status"] == "checked_in"
        # No infusion before the TOUCH check is recorded.
        refused = nurse_api.post(f"{url}/start/")
        assert refused.status_code == 409 and refused.json()["code"] == "state"
        assert "TOUCH" in refused.json()["detail"]
        checked = nurse_api.post(f"{url}/rems-check/")
        assert checked.status_code == 200 and checked.json()["rems_checked_at"]
    with time_machine.travel(at(clinic_day, 9, 5), tick=False):
        started = nurse_api.post(f"{url}/start/")
        assert started.status_code == 200 and started.json()["status"] == "in_chair"
    with time_machine.travel(at(clinic_day, 11), tick=False):
        done = nurse_api.post(f"{url}/complete/")
        assert done.status_code == 200 and done.json()["status"] == "completed"
    assert dt.datetime.fromisoformat(done.json()["completed_at"]) == at(clinic_day, 11)


def test_rems_check_on_a_drug_without_rems_is_a_field_error(booked, nurse_api):
    session = booked(protocol="ocrelizumab_iv")

    response = nurse_api.post(f"/api/sessions/{session['id']}/rems-check/")

    assert response.status_code == 400
    assert "rems" in response.json()


def test_complete_before_start_is_an_invalid_transition(booked, nurse_api):
    session = booked()

    response = nurse_api.post(f"/api/sessions/{session['id']}/complete/")

    assert response.status_code == 409
    assert response.json()["code"] == "state"
    assert "start the infusion before completing" in response.json()["detail"]


def test_no_show_only_after_the_start_time(booked, nurse_api, clinic_day):
    session = booked()
    url = f"/api/sessions/{session['id']}/no-show/"

    early = nurse_api.post(url)
    assert early.status_code == 409 and early.json()["code"] == "state"

    with time_machine.travel(at(clinic_day, 9, 45), tick=False):
        late = nurse_api.post(url)
    assert late.status_code == 200, late.json()
    assert late.json()["status"] == "no_show"


def test_unknown_session_is_a_404(clinic, desk, nurse_api):
    assert desk.get("/api/sessions/999999/").status_code == 404
    assert (
        desk.post("/api/sessions/999999/cancel/", {"reason": "x"}, format="json").status_code == 404
    )
    assert nurse_api.post("/api/sessions/999999/check-in/").status_code == 404


def test_session_detail_and_list_filters(booked, clinic, clinic_day, desk):
    a = booked(chair=clinic["chairs"][0])
    b = booked(chair=clinic["chairs"][1], protocol="natalizumab")
    desk.post(f"/api/sessions/{b['id']}/cancel/", {"reason": "moved away"}, format="json")

    assert desk.get(f"/api/sessions/{a['id']}/").json()["id"] == a["id"]
    by_day = desk.get(f"/api/sessions/?date={clinic_day}").json()
    assert {s["id"] for s in by_day["results"]} == {a["id"], b["id"]}
    assert "next" in by_day
    assert [
        s["id"]
        for s in desk.get(f"/api/sessions/?chair={clinic['chairs'][0].pk}").json()["results"]
    ] == [a["id"]]
    assert [
        s["id"] for s in desk.get(f"/api/sessions/?patient={b['patient']}").json()["results"]
    ] == [b["id"]]
    assert [s["id"] for s in desk.get("/api/sessions/?status=cancelled").json()["results"]] == [
        b["id"]
    ]
    assert [
        s["id"]
        for s in desk.get(f"/api/sessions/?nurse={b['nurse']}&status=booked,cancelled").json()[
            "results"
        ]
    ] == [b["id"]]
    next_day = clinic_day + dt.timedelta(days=1)
    assert desk.get(f"/api/sessions/?date_from={next_day}&date_to={next_day}").json()["count"] == 0


def test_the_list_pages(booked, clinic, desk):
    for i in range(3):
        booked(chair=clinic["chairs"][i])

    first = desk.get("/api/sessions/?page_size=2").json()

    assert first["count"] == 3 and len(first["results"]) == 2 and first["next"]
    second = desk.get(first["next"]).json()
    assert len(second["results"]) == 1 and second["next"] is None
