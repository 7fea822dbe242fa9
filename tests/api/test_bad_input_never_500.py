"""Nothing a client sends makes the API answer 500: garbage in every query parameter and body."""

import pytest

from tests.conftest import at

pytestmark = pytest.mark.django_db

GARBAGE = ["garbage", "-1", "0", "abc", "9" * 30, "2026-02-30", "1e9", "", "%00", "[]", "true"]

GETS = {
    "/api/sessions/": [
        "date",
        "date_from",
        "date_to",
        "patient",
        "chair",
        "nurse",
        "status",
        "page",
        "page_size",
    ],
    "/api/roster/": ["date", "nurse"],
    "/api/due/": ["today", "horizon_days", "page"],
    "/api/availability/": [
        "patient",
        "protocol",
        "dose",
        "date_from",
        "date_to",
        "limit",
        "series",
        "option",
        "length",
        "chair",
        "nurse",
    ],
    "/api/patients/": ["q", "page"],
    "/api/patients/{patient}/checklist/": ["session"],
}


@pytest.mark.parametrize("url", sorted(GETS))
def test_garbage_query_parameters(url, clinic, clinic_day, make_patient, desk):
    patient = make_patient()
    base = {
        "patient": patient.pk,
        "protocol": "natalizumab",
        "date_from": clinic_day,
        "date_to": clinic_day,
    }
    for param in GETS[url]:
        for value in GARBAGE:
            query = dict(base) if "availability" in url else {}
            query[param] = value
            response = desk.get(url.format(patient=patient.pk), query)
            assert response.status_code < 500, (url, param, value, response.content[:300])
            assert response.status_code in (200, 400, 404), (url, param, value)


BODIES = [
    {},
    [],
    "text",
    {"patient": "abc"},
    {"patient": None, "protocol": None},
    {"start": "yesterday"},
    {
        "patient": 1,
        "protocol": "natalizumab",
        "dose_number": "one",
        "start": "2026-01-01T09:00:00+99:00",
    },
    {"patient": [1], "protocol": {"a": 1}, "dose_number": 1.5, "start": 12345},
    {"chair": "x", "nurse": -4, "override_reason": ["a"]},
]


@pytest.mark.parametrize("url", ["/api/sessions/", "/api/series/", "/api/patients/"])
@pytest.mark.parametrize("body", BODIES, ids=range(len(BODIES)))
def test_garbage_bodies(url, body, clinic, desk):
    response = desk.post(url, body, format="json")

    assert response.status_code == 400, response.content[:300]
    assert isinstance(response.json(), dict)


@pytest.mark.parametrize(
    "action",
    ["reschedule", "cancel", "confirm", "check-in", "start", "complete", "no-show", "rems-check"],
)
def test_garbage_to_actions(action, clinic, clinic_day, make_patient, book, manager_api):
    session = book(make_patient(), clinic_day, 9, protocol="natalizumab").json()
    for body in ({"start": "soon", "chair": "x"}, {"reason": ""}, [], "x"):
        response = manager_api.post(f"/api/sessions/{session['id']}/{action}/", body, format="json")
        assert response.status_code < 500, (action, body, response.content[:300])


def test_a_form_encoded_booking_works_and_a_wrong_content_type_is_415(
    clinic, clinic_day, make_patient, desk
):
    patient = make_patient()
    form = desk.post(
        "/api/sessions/",
        {
            "patient": patient.pk,
            "protocol": "natalizumab",
            "dose_number": 1,
            "start": at(clinic_day, 9).isoformat(),
        },
    )
    odd = desk.generic("POST", "/api/sessions/", "<xml/>", content_type="application/xml")

    assert form.status_code == 201, form.content
    assert odd.status_code == 415


@pytest.mark.parametrize(
    "url", ["/api/sessions/{n}/", "/api/patients/{n}/", "/api/patients/{n}/checklist/"]
)
def test_huge_ids_in_the_path_are_404(url, clinic, desk):
    assert desk.get(url.format(n="9" * 30)).status_code == 404
    assert desk.get(url.format(n="9" * 18)).status_code == 404
