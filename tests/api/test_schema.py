"""The OpenAPI schema generates without warnings, documents every endpoint, and the docs page loads."""

import pytest
from django.core.management import call_command

pytestmark = pytest.mark.django_db


def test_schema_validates_without_warnings(tmp_path):
    out = tmp_path / "schema.yml"
    # --fail-on-warn raises on any warning or error; --validate checks it against OpenAPI 3.
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(out))
    text = out.read_text()
    for path in [
        "/api/protocols/",
        "/api/patients/",
        "/api/patients/{patient_id}/",
        "/api/patients/{patient_id}/checklist/",
        "/api/chairs/",
        "/api/nurses/",
        "/api/availability/",
        "/api/sessions/",
        "/api/sessions/{session_id}/",
        "/api/sessions/{session_id}/reschedule/",
        "/api/sessions/{session_id}/cancel/",
        "/api/sessions/{session_id}/check-in/",
        "/api/series/",
        "/api/roster/",
        "/api/due/",
    ]:
        assert f"{path}:" in text, path


def test_schema_and_docs_are_served(clinic, desk):
    schema = desk.get("/api/schema/?format=json")
    docs = desk.get("/api/docs/")

    assert schema.status_code == 200
    spec = schema.json()
    booking = spec["paths"]["/api/sessions/"]["post"]
    assert {"201", "400", "409"} <= set(booking["responses"])
    assert "Session" in spec["components"]["schemas"]
    assert docs.status_code == 200 and b"swagger" in docs.content.lower()
