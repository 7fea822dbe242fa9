"""FHIR Slot search: free starts from the engine, per chair (Schedule), by start and protocol."""

from __future__ import annotations

import datetime as dt

import pytest

from scheduling import services
from tests.conftest import TZ, at
from tests.interop.conftest import fhir

pytestmark = pytest.mark.django_db

FHIR = {"HTTP_ACCEPT": "application/fhir+json"}


@pytest.fixture
def desk(fhir_as):
    return fhir_as("front_desk")


def _starts(body):
    return [dt.datetime.fromisoformat(e["resource"]["start"]) for e in body.get("entry", [])]


def test_free_slots_on_one_chair_skip_its_booking(desk, clinic, clinic_day, make_patient):
    chair = clinic["chairs"][0]
    services.book_session(
        patient=make_patient(),
        protocol=clinic["protocols"]["natalizumab"],
        dose_number=1,
        start=at(clinic_day, 9),
        chair=chair,
    )
    day = clinic_day.isoformat()
    body = fhir(desk.get(f"/fhir/Slot?start={day}&schedule=Schedule/{chair.pk}&_count=200", **FHIR))
    starts = _starts(body)
    assert body["total"] == len(starts) > 0
    assert all(
        e["resource"]["schedule"]["reference"] == f"Schedule/{chair.pk}" for e in body["entry"]
    )
    assert all(e["resource"]["status"] == "free" for e in body["entry"])
    assert all(s.astimezone(TZ).date() == clinic_day for s in starts)
    assert starts == sorted(starts)
    # Opening hours are 07:00-19:00; a 60-minute visit ends by 19:00.
    assert min(starts) >= at(clinic_day, 7)
    assert all(
        dt.datetime.fromisoformat(e["resource"]["end"]) <= at(clinic_day, 19) for e in body["entry"]
    )
    # Nothing overlaps the booked session's chair time (09:00 until its chair release).
    booked = [s for s in starts if at(clinic_day, 8, 30) < s < at(clinic_day, 11)]
    assert not [s for s in booked if at(clinic_day, 9) <= s < at(clinic_day, 10)]
    other = fhir(
        desk.get(
            f"/fhir/Slot?start={day}&schedule=Schedule/{clinic['chairs'][1].pk}&_count=200", **FHIR
        )
    )
    assert at(clinic_day, 9) in _starts(other)


def test_service_type_gives_slots_that_fit_the_dose(desk, clinic, clinic_day):
    day = clinic_day.isoformat()
    bed = next(c for c in clinic["chairs"] if c.kind == "bed")
    generic = fhir(desk.get(f"/fhir/Slot?start={day}&schedule={bed.pk}&_count=200", **FHIR))
    ocrevus = fhir(
        desk.get(
            f"/fhir/Slot?start={day}&schedule={bed.pk}&service-type=ocrelizumab_iv&_count=200",
            **FHIR,
        )
    )
    assert ocrevus["total"] > 0
    first = ocrevus["entry"][0]["resource"]
    minutes = (
        dt.datetime.fromisoformat(first["end"]) - dt.datetime.fromisoformat(first["start"])
    ).total_seconds() / 60
    assert minutes > 60  # premedication + infusion + observation of Ocrevus dose 1
    assert first["serviceType"][0]["coding"][0]["code"] == "ocrelizumab_iv"
    # A long infusion has fewer possible starts in the same day than a 60-minute visit.
    assert ocrevus["total"] < generic["total"]


def test_slot_search_paging_and_bad_parameters(desk, clinic, clinic_day):
    day = clinic_day.isoformat()
    page = fhir(desk.get(f"/fhir/Slot?start={day}&_count=5", **FHIR))
    assert len(page["entry"]) == 5 and page["total"] > 5
    assert {link["relation"] for link in page["link"]} >= {"self", "next", "last"}
    for query in (
        "start=2026-13-01",
        "service-type=aspirin",
        "schedule=Patient/1",
        "status=busy",
        f"start=ge{day}&start=lt{(clinic_day + dt.timedelta(days=60)).isoformat()}",
        "dose=0&service-type=ocrelizumab_iv",
    ):
        fhir(desk.get(f"/fhir/Slot?{query}", **FHIR), 400)


def test_no_slots_in_the_past(desk, clinic):
    body = fhir(desk.get("/fhir/Slot?start=2020-01-06", **FHIR))
    assert body["total"] == 0
