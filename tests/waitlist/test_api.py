"""/api/waitlist/ and /api/offers/: the contract's shapes, role rules, 409s, the schema."""

from __future__ import annotations

import datetime as dt

import pytest

from waitlist.dispatcher import run_cycle
from waitlist.models import Offer, WaitlistEntry

pytestmark = pytest.mark.django_db


def _body(patient, visit_day, **more):
    body = {
        "patient": patient.pk,
        "protocol": "ocrelizumab_iv",
        "dose_number": 1,
        "earliest": (visit_day - dt.timedelta(days=5)).isoformat(),
        "latest": (visit_day + dt.timedelta(days=20)).isoformat(),
        "min_notice_hours": 24,
        "channel": "sms",
    }
    body.update(more)
    return body


def test_add_list_edit_remove(desk, clinic, make_patient, visit_day):
    patient = make_patient()
    r = desk.post(
        "/api/waitlist/",
        _body(
            patient,
            visit_day,
            windows=[{"weekdays": [0, 2], "start": "08:00", "end": "13:00"}],
        ),
        format="json",
    )
    assert r.status_code == 201, r.content
    entry = r.json()
    for key in (
        "patient",
        "protocol",
        "dose_number",
        "earliest",
        "latest",
        "min_notice_hours",
        "channel",
        "windows",
        "status",
        "priority",
    ):
        assert key in entry
    assert entry["protocol"] == "ocrelizumab_iv" and entry["priority"] == 1
    assert entry["windows"][0]["weekdays"] == [0, 2]

    again = desk.post("/api/waitlist/", _body(patient, visit_day), format="json")
    assert again.status_code == 409

    listed = desk.get("/api/waitlist/").json()
    assert [e["id"] for e in listed["results"]] == [entry["id"]]

    r = desk.patch(f"/api/waitlist/{entry['id']}/", {"min_notice_hours": 48}, format="json")
    assert r.status_code == 200 and r.json()["min_notice_hours"] == 48

    r = desk.delete(f"/api/waitlist/{entry['id']}/")
    assert r.status_code == 204
    assert WaitlistEntry.objects.get(pk=entry["id"]).status == "removed"
    assert desk.get(f"/api/waitlist/{entry['id']}/").json()["status"] == "removed"


@pytest.mark.parametrize(
    "change",
    [
        {"latest": "2001-01-01"},
        {"channel": "pigeon"},
        {"windows": [{"weekdays": [9]}]},
        {"windows": [{"weekdays": [1], "start": "12:00", "end": "09:00"}]},
        {"dose_number": 0},
        {"protocol": "no_such"},
        {"notes": "x" * 301},
        {"earliest": "not a date"},
    ],
)
def test_bad_input_is_a_400_with_the_field(desk, clinic, make_patient, visit_day, change):
    r = desk.post("/api/waitlist/", _body(make_patient(), visit_day, **change), format="json")
    assert r.status_code == 400, r.content
    field = next(iter(change))
    assert field in r.json() or "non_field_errors" in r.json()


def test_nurses_read_but_do_not_write(nurse_api, desk, clinic, make_patient, visit_day):
    patient = make_patient()
    assert (
        nurse_api.post("/api/waitlist/", _body(patient, visit_day), format="json").status_code
        == 403
    )
    assert nurse_api.get("/api/waitlist/").status_code == 200
    assert nurse_api.get("/api/offers/").status_code == 200


def test_anonymous_is_refused(client_as):
    anon = client_as(None)
    assert anon.get("/api/waitlist/").status_code in (401, 403)
    assert anon.get("/api/offers/").status_code in (401, 403)


def test_offer_shape_accept_and_taken(
    desk, clinic, waitlisted, cancelled_slot, sms_outbox, business_clock, visit_day
):
    from waitlist.models import WaitlistSettings

    conf = WaitlistSettings.load()
    conf.offers_at_once = 2
    conf.save()
    a = waitlisted(first_name="A")
    b = waitlisted(first_name="B")
    cancelled_slot()
    run_cycle()
    listed = desk.get("/api/offers/", {"status": "offered"}).json()["results"]
    assert len(listed) == 2
    offer = listed[0]
    for key in ("id", "patient", "session", "start", "chair", "nurse", "hold_until", "status"):
        assert key in offer
    assert offer["status"] == "offered" and offer["session"] is None

    mine = desk.get("/api/offers/", {"patient": a.patient_id}).json()["results"]
    assert [o["patient"] for o in mine] == [a.patient_id]

    first, second = sorted(listed, key=lambda o: o["id"])
    r = desk.post(f"/api/offers/{first['id']}/accept/")
    assert r.status_code == 200 and r.json()["status"] == "accepted"
    assert r.json()["booked_session"] is not None
    r = desk.post(f"/api/offers/{second['id']}/accept/")
    assert r.status_code == 409 and r.json()["code"] == "taken"
    assert Offer.objects.get(pk=second["id"]).status == "taken"
    assert b.pk in (first["entry"], second["entry"])


def test_decline_over_the_api(desk, clinic, waitlisted, cancelled_slot, business_clock):
    a = waitlisted()
    cancelled_slot()
    run_cycle()
    offer = a.offers.get()
    r = desk.post(f"/api/offers/{offer.pk}/decline/", {"for_good": True}, format="json")
    assert r.status_code == 200 and r.json()["status"] == "declined"
    a.refresh_from_db()
    assert a.status == "declined"
    assert desk.post(f"/api/offers/{offer.pk}/accept/").status_code == 409
    assert desk.post("/api/offers/999999/accept/").status_code == 404


def test_in_the_schema(desk):
    schema = desk.get("/api/schema/", HTTP_ACCEPT="application/json")
    assert schema.status_code == 200
    text = schema.content.decode()
    for path in (
        "/api/waitlist/",
        "/api/waitlist/{entry_id}/",
        "/api/offers/",
        "/api/offers/{offer_id}/accept/",
        "/api/offers/{offer_id}/decline/",
    ):
        assert path in text, path
