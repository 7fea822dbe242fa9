"""List, roster, due and availability endpoints run a number of queries that does not grow
with the number of sessions (DESIGN §9): the same bound must hold for 5 and for 50."""

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from patients.models import PatientProtocol

pytestmark = pytest.mark.django_db

# (url builder, bound); the bound is what 5 sessions need, and 50 must fit in it too.
ENDPOINTS = {
    "sessions_by_date": (lambda ctx: f"/api/sessions/?date={ctx['day']}", 6),
    "sessions_by_range": (
        lambda ctx: f"/api/sessions/?date_from={ctx['day']}&date_to={ctx['day']}",
        6,
    ),
    "roster_floor": (lambda ctx: f"/api/roster/?date={ctx['day']}", 14),
    "roster_nurse": (lambda ctx: f"/api/roster/?date={ctx['day']}&nurse={ctx['nurse']}", 14),
    "due": (lambda ctx: "/api/due/", 8),
    "availability": (
        lambda ctx: (
            f"/api/availability/?patient={ctx['patient']}&protocol=natalizumab"
            f"&date_from={ctx['day']}&date_to={ctx['day']}&limit=5"
        ),
        24,
    ),
}


def _cases():
    for name in sorted(ENDPOINTS):
        for n in (5, 50):
            yield pytest.param(name, n, id=f"{name}-{n}")


@pytest.mark.parametrize("name,n", list(_cases()))
def test_query_count_does_not_grow_with_sessions(
    name, n, clinic, clinic_day, seed_sessions, make_patient, desk, django_assert_max_num_queries
):
    sessions = seed_sessions(n, clinic_day)
    for s in sessions:  # everyone on the due list's radar
        PatientProtocol.objects.get_or_create(patient=s.patient, protocol=s.protocol, active=True)
    ctx = {"day": clinic_day, "nurse": clinic["nurses"][1].pk, "patient": make_patient().pk}
    url, bound = ENDPOINTS[name]
    desk.get("/api/protocols/")  # warm the token lookup path and content types

    with django_assert_max_num_queries(bound):
        response = desk.get(url(ctx))

    assert response.status_code == 200, response.content
    body = response.json()
    if name.startswith("sessions"):
        assert body["count"] == n
    if name == "roster_floor":
        assert body["count"] == n


@pytest.mark.parametrize("url", ["/api/sessions/?date={day}", "/api/roster/?date={day}"])
def test_without_rems_drugs_the_count_is_exactly_flat(url, clinic, clinic_day, seed_sessions, desk):
    """5 and 50 sessions of non-REMS drugs run exactly as many queries (no hidden per-row query
    in the serializers: chair, nurse, patient and protocol come from one join)."""
    counts = []
    for n, day in ((5, clinic_day), (50, clinic_day + dt.timedelta(days=1))):
        seed_sessions(n, day, protocols=("ocrelizumab_iv", "ocrelizumab_hyaluronidase_sc"))
        with CaptureQueriesContext(connection) as ctx:
            assert desk.get(url.format(day=day)).status_code == 200
        counts.append(len(ctx.captured_queries))
    assert counts[0] == counts[1], counts
