"""Under /api/ every answer is JSON, also for paths that do not exist and methods not allowed."""

import pytest

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("path", ["/api/nope/", "/api/sessions/99999999999999999999/", "/api/x"])
def test_unrouted_api_path_is_a_json_404(desk, path):
    response = desk.get(path)
    assert response.status_code == 404
    assert response["Content-Type"].startswith("application/json")
    assert response.json()["detail"]


def test_method_not_allowed_is_a_json_405(desk):
    response = desk.delete("/api/patients/")
    assert response.status_code == 405
    assert response["Content-Type"].startswith("application/json")


def test_pages_keep_their_html_404(client, make_staff):
    client.force_login(make_staff("front_desk"))
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    assert response["Content-Type"].startswith("text/html")
