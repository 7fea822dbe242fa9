"""Bodies an outsider sends cannot exhaust or crash the API: size (413), depth, encoding (400)."""

import json

import pytest
from django.test import override_settings

pytestmark = pytest.mark.django_db


def post_raw(client, url, body: bytes, content_type="application/json"):
    return client.generic("POST", url, body, content_type=content_type)


@pytest.mark.parametrize("url", ["/api/sessions/", "/api/patients/", "/api/series/"])
def test_json_nested_1000_deep_is_a_400(desk, url):
    body = ("[" * 1000 + "]" * 1000).encode()
    response = post_raw(desk, url, body)
    assert response.status_code == 400
    assert "nested" in json.dumps(response.json())


def test_json_nested_past_the_limit_is_a_400_and_within_it_is_parsed(desk):
    with override_settings(API_MAX_JSON_DEPTH=5):
        deep = {"first_name": {"a": {"b": {"c": {"d": {"e": 1}}}}}}
        assert post_raw(desk, "/api/patients/", json.dumps(deep).encode()).status_code == 400
        shallow = {"first_name": {"a": 1}}
        response = post_raw(desk, "/api/patients/", json.dumps(shallow).encode())
        # Parsed, then refused by the serializer for its shape, not by the depth limit.
        assert response.status_code == 400
        assert "nested" not in json.dumps(response.json())


def test_body_over_the_limit_is_a_413_before_it_is_read(desk, make_patient):
    with override_settings(REQUEST_MAX_BODY_BYTES=1000):
        body = json.dumps({"override_reason": "x" * 2000}).encode()
        response = post_raw(desk, "/api/sessions/", body)
        assert response.status_code == 413
        assert "limit" in response.json()["detail"]


def test_five_megabyte_override_reason_is_refused(desk):
    body = json.dumps({"override_reason": "x" * 5_000_000}).encode()
    assert post_raw(desk, "/api/sessions/", body).status_code == 413


def test_form_post_over_the_limit_is_a_413(client):
    with override_settings(REQUEST_MAX_BODY_BYTES=1000):
        response = client.post("/login/", {"username": "x" * 5000, "password": "y"})
        assert response.status_code == 413


@pytest.mark.parametrize(
    "text",
    ['"\\ud800"', '"a\\u0000b"'],
    ids=["unpaired-surrogate", "nul"],
)
def test_text_that_cannot_be_stored_is_a_400(desk, text):
    body = ('{"mrn": "M1", "first_name": ' + text + ', "last_name": "X"}').encode()
    response = post_raw(desk, "/api/patients/", body)
    assert response.status_code == 400, response.content


def test_invalid_utf8_is_a_400(desk):
    response = post_raw(desk, "/api/patients/", b'{"first_name": "\xff\xfe"}')
    assert response.status_code == 400


def test_non_numeric_content_length_is_a_400(desk):
    response = desk.generic(
        "POST", "/api/patients/", b"{}", content_type="application/json", CONTENT_LENGTH="abc"
    )
    assert response.status_code == 400
