"""What schemathesis found (tests/api/test_schemathesis.py), kept as plain regression tests."""

import pytest

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "url,param",
    [("/api/due/", "today"), ("/api/roster/", "date"), ("/api/sessions/", "status")],
)
def test_an_empty_query_value_is_a_400_not_silently_ignored(desk, clinic, url, param):
    # DRF reads `?x=` in a QueryDict as "not given"; the schema says it is malformed.
    response = desk.get(f"{url}?{param}=")
    assert response.status_code == 400
    assert param in response.json()


def test_a_number_for_a_text_field_is_a_400(desk):
    body = {"mrn": 12345, "first_name": "A", "last_name": "B", "date_of_birth": "1980-01-01"}
    response = desk.post("/api/patients/", body, format="json")
    assert response.status_code == 400
    assert "mrn" in response.json()


@pytest.fixture
def schema(desk):
    return desk.get("/api/schema/?format=json").json()


def test_clock_times_are_described_as_clock_times(schema):
    shift = schema["components"]["schemas"]["NurseShift"]["properties"]
    assert "format" not in shift["start"]
    assert shift["start"]["pattern"].startswith("^")


def test_optional_email_accepts_the_blank_it_answers(schema):
    email = schema["components"]["schemas"]["Patient"]["properties"]["email"]
    assert {"maxLength": 0} in email["anyOf"]


def test_every_operation_documents_throttling_and_database_outage(schema):
    for path, item in schema["paths"].items():
        for method, op in item.items():
            if method in ("get", "post", "put", "patch", "delete"):
                assert {"429", "503"} <= set(op["responses"]), (method, path)
                if method == "post":
                    assert "413" in op["responses"], path


def test_fhir_get_on_the_transaction_endpoint_is_not_an_operation(schema):
    assert "get" not in schema["paths"].get("/fhir", {})


def test_fhir_operations_answer_fhir_json():
    from scheduling.api.schema_hooks import harden_responses

    schema = {
        "paths": {
            "/fhir/metadata/": {
                "get": {"responses": {"200": {"content": {"application/json": {"schema": {}}}}}}
            }
        }
    }
    op = harden_responses(schema, None, None, True)["paths"]["/fhir/metadata/"]["get"]
    assert "application/fhir+json" in op["responses"]["200"]["content"]
    assert "application/fhir+json" in op["responses"]["503"]["content"]


def test_building_a_template_from_a_form_body_is_refused_not_built_from_defaults(manager_api):
    """schemathesis: a malformed multipart body to POST /api/templates/ built a draft from the
    defaults (every field has one). The endpoint reads JSON only."""
    from scheduling.models import WeeklyTemplate

    r = manager_api.post(
        "/api/templates/",
        data=b"--x\r\nnot a form",
        content_type="multipart/form-data; boundary=x",
    )
    assert r.status_code == 415
    assert not WeeklyTemplate.objects.exists()


def test_a_nul_in_a_form_body_or_query_is_a_400_not_a_500(desk, clinic):
    """schemathesis (CI run): a form-encoded POST /api/series/ with a NUL in the protocol code
    reached a PostgreSQL lookup and answered 500."""
    r = desk.post(
        "/api/series/",
        data="protocol=k%00j&first_dose=1",
        content_type="application/x-www-form-urlencoded",
    )
    assert r.status_code == 400
    assert "NUL" in r.json()["detail"]
    assert desk.get("/api/sessions/?status=book%00ed").status_code == 400
