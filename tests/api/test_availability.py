"""GET /api/availability/: ranked free slots with phase times; bad queries are 400s."""

import datetime as dt

import pytest

from tests.conftest import at

pytestmark = pytest.mark.django_db

PHASES = (
    "start",
    "premed_start",
    "infusion_start",
    "infusion_end",
    "observation_end",
    "chair_release_at",
)


def _url(patient, day, **more):
    params = {
        "patient": patient.pk,
        "protocol": "ocrelizumab_iv",
        "date_from": day,
        "date_to": day,
        **more,
    }
    return "/api/availability/?" + "&".join(f"{k}={v}" for k, v in params.items())


def test_slots_are_ranked_with_phase_times_chair_and_nurse(clinic, clinic_day, make_patient, desk):
    response = desk.get(_url(make_patient(), clinic_day, limit=5))

    assert response.status_code == 200, response.json()
    slots = response.json()
    assert 1 <= len(slots) <= 5
    scores = [s["score"] for s in slots]
    assert scores == sorted(scores)
    chair_ids = {c.pk for c in clinic["chairs"]}
    for slot in slots:
        times = [dt.datetime.fromisoformat(slot[k]) for k in PHASES]
        assert all(t.utcoffset() is not None for t in times)
        assert times == sorted(times)
        assert times[0].astimezone(at(clinic_day, 0).tzinfo).date() == clinic_day
        assert slot["chair"] in chair_ids and slot["chair_name"]
        assert slot["nurse"] and slot["nurse_name"]
        assert isinstance(slot["score_parts"], dict)
        assert [d["dose_number"] for d in slot["doses"]] == [1]


def test_a_slot_is_never_offered_on_a_chair_while_it_is_taken(
    clinic, clinic_day, make_patient, desk, book
):
    chair = clinic["chairs"][0]
    taken = book(make_patient(), clinic_day, 9, protocol="ocrelizumab_iv", chair=chair.pk).json()
    busy_from = dt.datetime.fromisoformat(taken["start"])
    busy_to = dt.datetime.fromisoformat(taken["chair_release_at"])

    slots = desk.get(_url(make_patient(), clinic_day, chair=chair.pk, limit=50)).json()

    assert slots, "the chair is free in the afternoon"
    for slot in slots:
        start = dt.datetime.fromisoformat(slot["start"])
        release = dt.datetime.fromisoformat(slot["chair_release_at"])
        assert release <= busy_from or start >= busy_to, slot


def test_a_booked_slot_can_be_booked_as_offered(clinic, clinic_day, make_patient, desk, book):
    patient = make_patient()
    slot = desk.get(_url(patient, clinic_day, limit=1)).json()[0]

    response = desk.post(
        "/api/sessions/",
        {
            "patient": patient.pk,
            "protocol": "ocrelizumab_iv",
            "dose_number": 1,
            "start": slot["start"],
            "chair": slot["chair"],
            "nurse": slot["nurse"],
        },
        format="json",
    )

    assert response.status_code == 201, response.json()
    assert response.json()["start"] == slot["start"]


def test_series_search_places_every_dose(clinic, clinic_day, make_patient, desk):
    response = desk.get(_url(make_patient(), clinic_day, series="true", limit=3))

    assert response.status_code == 200, response.json()
    slots = response.json()
    assert slots
    for slot in slots:
        assert [d["dose_number"] for d in slot["doses"]] == [1, 2]
        assert [d["day_offset"] for d in slot["doses"]] == [0, 14]
        first, second = (dt.datetime.fromisoformat(d["start"]) for d in slot["doses"])
        assert second.astimezone(first.tzinfo).time() == first.time()


@pytest.mark.parametrize(
    "params,field",
    [
        ({"patient": 999999}, "patient"),
        ({"patient": "abc"}, "patient"),
        ({"protocol": "aspirin_iv"}, "protocol"),
        ({"date_to": "PREV"}, "date_to"),
        ({"date_to": "FAR"}, "date_to"),
        ({"limit": 0}, "limit"),
        ({"limit": 51}, "limit"),
        ({"date_from": "garbage"}, "date_from"),
        ({"dose": 0}, "dose"),
        ({"option": "faster"}, "option"),
    ],
)
def test_bad_queries_are_field_errors(params, field, clinic, clinic_day, make_patient, desk):
    patient = make_patient()
    query = {
        "patient": patient.pk,
        "protocol": "ocrelizumab_iv",
        "date_from": clinic_day,
        "date_to": clinic_day + dt.timedelta(days=6),
    }
    query.update(params)
    if query["date_to"] == "PREV":
        query["date_to"] = clinic_day - dt.timedelta(days=1)
    if query["date_to"] == "FAR":
        query["date_to"] = clinic_day + dt.timedelta(days=62)  # 63 days inclusive
    response = desk.get("/api/availability/", query)

    assert response.status_code == 400, response.content
    assert field in response.json()


def test_sixty_two_days_is_allowed(clinic, clinic_day, make_patient, desk):
    response = desk.get(
        "/api/availability/",
        {
            "patient": make_patient().pk,
            "protocol": "natalizumab",
            "date_from": clinic_day,
            "date_to": clinic_day + dt.timedelta(days=61),
            "limit": 3,
        },
    )

    assert response.status_code == 200
    assert len(response.json()) == 3
