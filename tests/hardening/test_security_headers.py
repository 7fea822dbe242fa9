"""Every page and API answer carries the browser protections; patient data is never cached."""

import re
from pathlib import Path

import pytest

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parents[2]


def test_pages_carry_csp_permissions_policy_and_no_store(client, make_staff, clinic):
    client.force_login(make_staff("front_desk"))
    response = client.get("/board/")
    assert response.status_code == 200
    csp = response["Content-Security-Policy"]
    assert "script-src 'self'" in csp
    assert "'unsafe-inline'" not in csp.split("script-src")[1].split(";")[0]
    assert "frame-ancestors 'none'" in csp
    assert "camera=()" in response["Permissions-Policy"]
    assert "no-store" in response["Cache-Control"]
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["X-Frame-Options"] == "DENY"


def test_api_answers_are_not_stored(desk, clinic):
    response = desk.get("/api/chairs/")
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]


def test_patient_link_pages_are_not_stored(client):
    response = client.get("/p/s/not-a-valid-token/")
    assert "no-store" in response["Cache-Control"]


def test_login_page_has_no_inline_script(client):
    response = client.get("/login/")
    html = response.content.decode()
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html)
    assert not re.search(r"\son[a-z]+\s*=", html)


def test_no_template_has_inline_script_or_handlers():
    """A CSP without 'unsafe-inline' breaks any inline script: none may come back."""
    offenders = []
    for path in (ROOT / "templates").rglob("*.html"):
        if "notifications" in path.parts:  # emails: never served under our CSP
            continue
        text = path.read_text()
        if re.search(r"<script(?![^>]*\bsrc=)[^>]*>", text) or re.search(
            r"\son[a-z]+\s*=\s*[\"']", text
        ):
            offenders.append(str(path.relative_to(ROOT)))
        if re.search(r"\bhx-on", text):
            offenders.append(f"{path.relative_to(ROOT)} (hx-on needs eval)")
    assert offenders == []
