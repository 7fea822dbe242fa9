"""The API schema and docs are for signed-in staff, and the docs page works offline under the CSP."""

import re

import pytest

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("path", ["/api/schema/", "/api/docs/"])
def test_schema_and_docs_refuse_anonymous_users(client, path):
    assert client.get(path).status_code in (401, 403)


def test_docs_page_loads_vendored_swagger_ui_without_inline_script(client, make_staff):
    client.force_login(make_staff("front_desk"))
    response = client.get("/api/docs/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "cdn" not in html.lower() and "//unpkg" not in html
    assert "/static/drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-bundle.js" in html
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html)
    # The start-up script is served as a file (same origin, so script-src 'self' allows it).
    init = re.search(r'<script src="([^"]*script_url[^"]*|[^"]*\?script[^"]*)"', html)
    assert init, html
    assert client.get(init.group(1)).status_code == 200


def test_schema_with_a_token(desk):
    response = desk.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert response.status_code == 200
    assert "/api/sessions/" in response.json()["paths"]


def test_browsable_api_is_off_outside_debug(desk):
    response = desk.get("/api/chairs/", HTTP_ACCEPT="text/html")
    # JSON only: the browsable renderer is not installed, so HTML cannot be negotiated.
    assert response.status_code in (200, 406)
    assert not response["Content-Type"].startswith("text/html")
