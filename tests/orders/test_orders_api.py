"""The API of issue 14 §5: estimates, and orders and authorizations read and written, with
the rule ON: booking over HTTP without an order is a 409 with code "order"."""

from __future__ import annotations

import datetime as dt

import pytest

from tests.conftest import at


@pytest.fixture
def order_body(clinic_day):
    return {
        "protocol": "ocrelizumab_iv",
        "dose_mg": 600,
        "dose_mg_per_m2": None,
        "doses": 4,
        "end_date": None,
        "provider": "Dr Okafor",
        "signed_on": (clinic_day - dt.timedelta(days=30)).isoformat(),
        "expires_on": (clinic_day + dt.timedelta(days=335)).isoformat(),
    }


@pytest.fixture
def auth_body(clinic_day):
    return {
        "payer": "Acme Health",
        "plan": "Gold PPO",
        "member_id": "AC-991",
        "number": "PA-2026-1",
        "valid_from": (clinic_day - dt.timedelta(days=30)).isoformat(),
        "valid_to": (clinic_day + dt.timedelta(days=150)).isoformat(),
        "hcpcs": ["J2350"],
        "units_approved": 1200,
        "visits_approved": 2,
    }


def test_booking_over_the_api_without_an_order_is_409_order(clinic, clinic_day, make_patient, book):
    response = book(make_patient(), clinic_day, 9, protocol="natalizumab")
    assert response.status_code == 409
    body = response.json()
    assert body["code"] == "order"
    assert body["conflicts"][0]["rule"] == "order"


def test_orders_and_authorizations_are_written_and_read(
    clinic, clinic_day, make_patient, desk, nurse_api, order_body, auth_body
):
    patient = make_patient()
    r = desk.post(f"/api/patients/{patient.pk}/orders/", order_body, format="json")
    assert r.status_code == 201, r.content
    assert r.json()["protocol"] == "ocrelizumab_iv" and r.json()["dose_mg"] == 600.0
    assert r.json()["status"] == "active"
    r = desk.post(f"/api/patients/{patient.pk}/authorizations/", auth_body, format="json")
    assert r.status_code == 201, r.content
    assert r.json()["visits_left"] == 2 and r.json()["units_left"] == 1200

    orders = nurse_api.get(f"/api/patients/{patient.pk}/orders/").json()
    assert [o["provider"] for o in orders] == ["Dr Okafor"]
    auths = nurse_api.get(f"/api/patients/{patient.pk}/authorizations/").json()
    assert auths[0]["number"] == "PA-2026-1" and auths[0]["hcpcs"] == ["J2350"]


def test_a_nurse_cannot_write_orders(clinic, make_patient, nurse_api, order_body):
    r = nurse_api.post(f"/api/patients/{make_patient().pk}/orders/", order_body, format="json")
    assert r.status_code == 403


def test_bad_order_input_is_a_field_error(clinic, make_patient, desk, order_body):
    patient = make_patient()
    body = dict(order_body, expires_on="2000-01-01")
    r = desk.post(f"/api/patients/{patient.pk}/orders/", body, format="json")
    assert r.status_code == 400 and "expires_on" in r.json()
    body = dict(order_body, doses=None, end_date=None)
    r = desk.post(f"/api/patients/{patient.pk}/orders/", body, format="json")
    assert r.status_code == 400 and "doses" in r.json()
    body = dict(order_body, protocol="mitoxantrone", dose_mg=None)
    r = desk.post(f"/api/patients/{patient.pk}/orders/", body, format="json")
    assert r.status_code == 400 and "dose_mg_per_m2" in r.json()
    body = dict(order_body, provider="x" * 500)
    r = desk.post(f"/api/patients/{patient.pk}/orders/", body, format="json")
    assert r.status_code == 400 and "provider" in r.json()


def test_booking_with_order_and_authorization_then_the_session_estimate(
    clinic, clinic_day, make_patient, desk, order_body, auth_body, prices
):
    patient = make_patient()
    desk.post(f"/api/patients/{patient.pk}/orders/", order_body, format="json")
    desk.post(f"/api/patients/{patient.pk}/authorizations/", auth_body, format="json")
    r = desk.post(
        "/api/series/",
        {
            "patient": patient.pk,
            "protocol": "ocrelizumab_iv",
            "start": at(clinic_day, 8).isoformat(),
        },
        format="json",
    )
    assert r.status_code == 201, r.content
    # Two start doses of 300 mg: both visits of the authorization are now used.
    auth = desk.get(f"/api/patients/{patient.pk}/authorizations/").json()[0]
    assert auth["visits_used"] == 2 and auth["units_used"] == 600 and auth["visits_left"] == 0

    from scheduling.models import InfusionSession

    first = InfusionSession.objects.filter(patient=patient).order_by("start").first()
    est = desk.get(f"/api/sessions/{first.pk}/estimate/").json()
    assert est["hcpcs"] == "J2350" and est["drug_units"] == 300
    # 150 minutes: the initial hour and one add-on (90 min past the hour, 30 not > 30).
    assert est["admin_codes"] == [{"code": "96365", "units": 1}, {"code": "96366", "units": 1}]
    assert set(est["sites"]) == {"hospital_outpatient", "infusion_center", "home"}
    assert (
        est["sites"]["hospital_outpatient"] > est["sites"]["infusion_center"] > est["sites"]["home"]
    )
    assert est["illustrative"] is True

    year = desk.get(f"/api/patients/{patient.pk}/estimate/?year={clinic_day.year}").json()
    in_year = [d for d in year["doses"] if d["date"].startswith(str(clinic_day.year))]
    assert len(year["doses"]) == len(in_year) >= 1
    assert year["sites"]["home"] == pytest.approx(sum(d["sites"]["home"] for d in year["doses"]))


def test_estimate_of_an_unknown_session_is_404(clinic, desk):
    assert desk.get("/api/sessions/999999/estimate/").status_code == 404


def test_estimate_year_must_be_a_year(clinic, make_patient, desk):
    r = desk.get(f"/api/patients/{make_patient().pk}/estimate/?year=abc")
    assert r.status_code == 400 and "year" in r.json()


def test_the_endpoints_are_in_the_schema(clinic, desk):
    schema = desk.get("/api/schema/?format=json").json()
    for path in (
        "/api/sessions/{session_id}/estimate/",
        "/api/patients/{patient_id}/estimate/",
        "/api/patients/{patient_id}/orders/",
        "/api/patients/{patient_id}/authorizations/",
    ):
        assert path in schema["paths"], path
    assert "post" in schema["paths"]["/api/patients/{patient_id}/orders/"]
