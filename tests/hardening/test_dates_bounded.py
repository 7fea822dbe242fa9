"""Year 1 and year 9999 are a 400 with a clear message on every API operation and page, never an
OverflowError (the probe found 23 × 500 from them)."""

import datetime as dt

import pytest

pytestmark = pytest.mark.django_db

EXTREMES = ["9999-12-31", "0001-01-01", "1899-12-31", "2200-01-01"]


@pytest.mark.parametrize("value", EXTREMES)
@pytest.mark.parametrize(
    "url,param",
    [
        ("/api/sessions/", "date"),
        ("/api/sessions/", "date_from"),
        ("/api/sessions/", "date_to"),
        ("/api/roster/", "date"),
        ("/api/due/", "today"),
        ("/api/availability/", "date_from"),
        ("/api/availability/", "date_to"),
    ],
)
def test_api_dates_out_of_range_are_a_400(desk, clinic, make_patient, url, param, value):
    query = {param: value}
    if "availability" in url:
        query.update(patient=make_patient().pk, protocol="natalizumab")
    response = desk.get(url, query)
    assert response.status_code == 400, (url, param, value, response.content[:300])
    assert "between 1900-01-01 and 2199-12-31" in str(response.json()[param])


def test_availability_default_date_to_does_not_overflow(desk, clinic, make_patient):
    response = desk.get(
        "/api/availability/",
        {"patient": make_patient().pk, "protocol": "natalizumab", "date_from": "2199-12-31"},
    )
    assert response.status_code in (200, 400)


@pytest.mark.parametrize("value", ["9999-12-31", "0001-01-01"])
def test_booking_start_out_of_range_is_a_400(desk, clinic, make_patient, value):
    body = {
        "patient": make_patient().pk,
        "protocol": "natalizumab",
        "dose_number": 1,
        "start": f"{value}T09:00:00-05:00",
    }
    response = desk.post("/api/sessions/", body, format="json")
    assert response.status_code == 400
    assert "start" in response.json()


@pytest.mark.parametrize("dob", ["0001-01-01", "1899-06-01", "9999-01-01"])
def test_date_of_birth_out_of_range_is_refused(desk, dob):
    body = {
        "mrn": "MRN-DOB",
        "first_name": "A",
        "last_name": "B",
        "date_of_birth": dob,
        "email": "a@example.org",
        "mobile": "+16175550100",
    }
    response = desk.post("/api/patients/", body, format="json")
    assert response.status_code == 400
    assert "date_of_birth" in response.json()


@pytest.mark.parametrize("value", ["9999-12-31", "0001-01-01"])
@pytest.mark.parametrize("page,role", [("/board/", "front_desk"), ("/roster/", "nurse")])
def test_pages_with_extreme_dates_do_not_fail(client, make_staff, clinic, page, role, value):
    client.force_login(make_staff(role))
    response = client.get(page, {"date": value})
    # The page falls back to today's clinic day; the roster names the problem by its field.
    assert response.status_code == 200
    if page == "/roster/":
        assert b"between 1900-01-01 and 2199-12-31" in response.content


@pytest.mark.parametrize("value", ["9999-12-31", "0001-01-01"])
def test_utilization_page_with_extreme_dates(client, make_staff, clinic, value):
    client.force_login(make_staff("manager"))
    response = client.get("/utilization/", {"date_from": value, "date_to": value})
    assert response.status_code < 500


def test_model_validation_bounds_dates(make_patient):
    from django.core.exceptions import ValidationError

    patient = make_patient()
    patient.date_of_birth = dt.date(1, 1, 1)
    with pytest.raises(ValidationError) as err:
        patient.full_clean()
    assert "date_of_birth" in err.value.message_dict
