"""GET /api/protocols/, /api/chairs/, /api/nurses/."""

import pytest

pytestmark = pytest.mark.django_db


def test_protocols_come_with_dose_rules_and_lab_requirements(clinic, nurse_api):
    body = nurse_api.get("/api/protocols/").json()

    protocols = {p["code"]: p for p in body["results"]}
    assert "ocrelizumab_iv" in protocols and "natalizumab" in protocols
    ocrevus = protocols["ocrelizumab_iv"]
    first = next(r for r in ocrevus["dose_rules"] if r["from_dose"] == 1)
    assert (
        first["premed_lead_minutes"],
        first["infusion_minutes"],
        first["observation_minutes"],
    ) == (30, 150, 60)
    assert first["chair_minutes"] == 240
    assert {r["test"] for r in ocrevus["lab_requirements"]} >= {"hbv_screening", "immunoglobulins"}
    assert protocols["natalizumab"]["required_skill"] == "rems_natalizumab"
    assert protocols["natalizumab"]["rems_program"]


def test_chairs_and_nurses(clinic, nurse_api):
    chairs = nurse_api.get("/api/chairs/").json()["results"]
    nurses = nurse_api.get("/api/nurses/").json()["results"]

    assert [c["name"] for c in chairs] == ["R1", "R2", "R3", "R4", "R5", "R6", "B1", "B2"]
    assert {c["kind"] for c in chairs} == {"recliner", "bed"}
    nurse2 = next(n for n in nurses if n["name"] == "Nurse 2")
    assert nurse2["skills"] == ["rems_natalizumab"]
    assert len(nurse2["shifts"]) == 5 and nurse2["shifts"][0]["start"] == "07:00:00"
