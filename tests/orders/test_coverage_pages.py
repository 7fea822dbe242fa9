"""The pages: orders and authorizations on the patient page and the worklists, allergies on
the roster and the board panel, the estimate on the booking confirmation, the manager's cost
by site, and the front desk's coverage entry."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from orders import services as order_services
from scheduling import services
from tests.conftest import DEMO_PASSWORD, at


@pytest.fixture
def desk_client(client, make_staff):
    client.login(
        username=make_staff("front_desk", username="desk").username, password=DEMO_PASSWORD
    )
    return client


@pytest.fixture
def manager_client(client, make_staff):
    client.login(username=make_staff("manager", username="boss").username, password=DEMO_PASSWORD)
    return client


def _booked(clinic, clinic_day, patient, covered, code="natalizumab", hour=9):
    covered(patient, code)
    return services.book_session(
        patient=patient,
        protocol=clinic["protocols"][code],
        dose_number=1,
        start=at(clinic_day, hour),
    )


def test_patient_page_shows_orders_authorizations_body_size_and_year_cost(
    clinic, clinic_day, make_patient, covered, give_order, desk_client, prices
):
    patient = make_patient()
    _booked(clinic, clinic_day, patient, covered)
    today = timezone.localdate()
    give_order(
        patient,
        "ocrelizumab_iv",
        signed_on=today - dt.timedelta(days=400),
        expires_on=today - dt.timedelta(days=5),
    )
    order_services.record_measurement(
        patient=patient, measured_on=today, height_cm=171, weight_kg=76
    )
    order_services.record_allergy(patient=patient, substance="Penicillin", reaction="Hives")
    html = desk_client.get(f"/patients/{patient.pk}/").content.decode()
    assert 'id="orders"' in html and "Dr Rivera" in html
    assert "Expired" in html  # the old Ocrevus order
    assert 'id="authorizations"' in html and "Acme Health" in html
    assert "1 of 4" in html  # one of the order's four doses booked
    assert "1.90 m²" in html
    assert "Penicillin" in html
    assert 'id="year-estimate"' in html or "No doses given or booked this year" in html


def test_patient_page_shows_mitoxantrone_headroom(clinic, make_patient, give_order, desk_client):
    from patients.models import PatientProtocol

    patient = make_patient()
    PatientProtocol.objects.create(
        patient=patient, protocol=clinic["protocols"]["mitoxantrone"], doses_before_center=3
    )
    html = desk_client.get(f"/patients/{patient.pk}/").content.decode()
    assert 'id="cumulative-mitoxantrone"' in html
    assert "36 of 140 mg/m2" in html and "headroom 104" in html


def test_patient_page_says_when_there_is_no_order(clinic, make_patient, desk_client):
    html = desk_client.get(f"/patients/{make_patient().pk}/").content.decode()
    assert "No treatment order" in html


def test_due_worklist_flags_a_missing_order(clinic, make_patient, desk_client):
    from patients.models import PatientProtocol

    patient = make_patient(last_name="Noorder")
    PatientProtocol.objects.create(patient=patient, protocol=clinic["protocols"]["natalizumab"])
    html = desk_client.get("/due/").content.decode()
    assert "Noorder" in html and "No order" in html


def test_roster_and_board_panel_show_allergies(
    clinic, clinic_day, make_patient, covered, make_staff, client
):
    patient = make_patient()
    session = _booked(clinic, clinic_day, patient, covered)
    order_services.record_allergy(patient=patient, substance="Latex", severity="mild")
    client.login(username=make_staff("manager", username="m1").username, password=DEMO_PASSWORD)
    roster = client.get(f"/roster/?date={clinic_day.isoformat()}").content.decode()
    assert "Allergy: Latex" in roster
    panel = client.get(f"/sessions/{session.pk}/").content.decode()
    assert "Allergy: Latex" in panel


def test_roster_allergies_take_one_query_for_all_rows(
    clinic, clinic_day, make_patient, covered, make_staff, client, django_assert_max_num_queries
):
    client.login(username=make_staff("manager", username="m2").username, password=DEMO_PASSWORD)
    for hour in (8, 9):
        p = make_patient()
        _booked(clinic, clinic_day, p, covered, hour=hour)
        order_services.record_allergy(patient=p, substance="Sulfa drugs")
    client.get(f"/roster/?date={clinic_day.isoformat()}")  # warm caches
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as two:
        client.get(f"/roster/?date={clinic_day.isoformat()}")
    for hour in (10, 11, 12):
        p = make_patient()
        _booked(clinic, clinic_day, p, covered, hour=hour)
        order_services.record_allergy(patient=p, substance="Latex")
    with CaptureQueriesContext(connection) as five:
        html = client.get(f"/roster/?date={clinic_day.isoformat()}").content.decode()
    assert html.count("Allergy:") == 5
    allergy_queries = [q for q in five.captured_queries if "orders_allergy" in q["sql"]]
    assert len(allergy_queries) == 1
    assert len([q for q in two.captured_queries if "orders_allergy" in q["sql"]]) == len(
        allergy_queries
    )


def test_booking_confirmation_shows_the_estimate(
    clinic, clinic_day, make_patient, covered, desk_client, prices
):
    session = _booked(clinic, clinic_day, make_patient(), covered)
    html = desk_client.get(f"/book/done/session/{session.pk}/").content.decode()
    assert 'id="estimate"' in html
    assert "J2323 × 300" in html and "96365" in html
    assert "Hospital outpatient department" in html and "Home infusion" in html
    assert "Illustrative prices" in html


def test_coverage_page_records_an_order_and_refuses_bad_input(clinic, make_patient, desk_client):
    from orders.models import TreatmentOrder

    patient = make_patient()
    url = f"/patients/{patient.pk}/coverage/"
    assert desk_client.get(url).status_code == 200
    protocol = clinic["protocols"]["natalizumab"]
    bad = {
        "kind": "order",
        "order-protocol": protocol.pk,
        "order-provider": "Dr Who",
        "order-signed_on": "2026-01-10",
        "order-expires_on": "2025-01-10",
        "order-doses": "6",
    }
    response = desk_client.post(url, bad)
    assert response.status_code == 400
    assert "cannot expire before it is signed" in response.content.decode()
    good = dict(bad, **{"order-expires_on": "2027-01-10"})
    response = desk_client.post(url, good)
    assert response.status_code == 302
    order = TreatmentOrder.objects.get(patient=patient)
    assert order.doses == 6 and order.provider == "Dr Who"


def test_worklist_lists_an_authorization_ending_soon_and_an_expired_order(
    clinic, clinic_day, make_patient, give_order, give_authorization, desk_client
):
    from patients.models import PatientProtocol

    today = timezone.localdate()
    soon = make_patient(last_name="Soonend")
    give_authorization(soon, ["J2323"], valid_to=today + dt.timedelta(days=10))
    old = make_patient(last_name="Oldorder")
    PatientProtocol.objects.create(patient=old, protocol=clinic["protocols"]["natalizumab"])
    give_order(
        old,
        "natalizumab",
        signed_on=today - dt.timedelta(days=400),
        expires_on=today - dt.timedelta(days=3),
    )
    fine = make_patient(last_name="Fineauth")
    give_authorization(fine, ["J2323"], valid_to=today + dt.timedelta(days=120))
    html = desk_client.get("/coverage/").content.decode()
    assert "Soonend" in html and "ends in 10 days" in html
    assert "Oldorder" in html and "Expired" in html
    assert "Fineauth" not in html


def test_worklist_lists_an_authorization_with_no_visits_left(
    clinic, clinic_day, make_patient, covered, desk_client
):
    patient = make_patient(last_name="Lastvisit")
    covered(patient, "natalizumab", visits=1)
    services.book_session(
        patient=patient,
        protocol=clinic["protocols"]["natalizumab"],
        dose_number=1,
        start=at(clinic_day, 9),
    )
    html = desk_client.get("/coverage/").content.decode()
    assert "Lastvisit" in html and "no visits left" in html


def test_cost_by_site_is_for_managers(
    clinic, clinic_day, make_patient, covered, manager_client, prices
):
    patient = make_patient(last_name="Costly")
    _booked(clinic, clinic_day, patient, covered)
    html = manager_client.get("/costs/").content.decode()
    assert 'id="cost-by-site"' in html and "Costly" in html
    assert "Illustrative prices" in html


def test_cost_by_site_is_not_for_the_front_desk(clinic, desk_client):
    assert desk_client.get("/costs/").status_code == 403


def test_navigation_links_for_the_roles(clinic, desk_client):
    html = desk_client.get("/due/").content.decode()
    assert 'href="/coverage/"' in html and 'href="/costs/"' not in html
