"""TOTP two-factor sign-in: managers must, others may; demo logins are exempt."""

import datetime as dt
import re

import pytest
import time_machine
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from tests.conftest import DEMO_PASSWORD

pytestmark = pytest.mark.django_db


def code_for(device: TOTPDevice) -> str:
    return f"{totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits):06d}"


def sign_in(client, username):
    response = client.post("/login/", {"username": username, "password": DEMO_PASSWORD})
    assert response.status_code == 302
    return response


def test_manager_enrols_on_first_sign_in_then_gets_in(client, make_staff, clinic):
    boss = make_staff("manager", username="boss", two_factor_exempt=False)
    sign_in(client, "boss")
    held = client.get("/utilization/")
    assert held.status_code == 302 and held["Location"].startswith("/account/two-factor/")
    page = client.get(held["Location"])
    html = page.content.decode()
    assert "<svg" in html and re.search(r'id="totp-secret">[A-Z2-7 ]{20,}<', html)
    device = TOTPDevice.objects.get(user=boss, confirmed=False)
    wrong = client.post("/account/two-factor/", {"code": "000000", "next": "/utilization/"})
    assert wrong.status_code == 400
    # A wrong code makes the next try wait (django-otp throttling, doubling per failure).
    throttled = client.post("/account/two-factor/", {"code": code_for(device)})
    assert throttled.status_code == 400
    with time_machine.travel(dt.datetime.now(dt.UTC) + dt.timedelta(seconds=5)):
        device.refresh_from_db()
        right = client.post(
            "/account/two-factor/", {"code": code_for(device), "next": "/utilization/"}
        )
    assert right.status_code == 302 and right["Location"] == "/utilization/"
    device.refresh_from_db()
    assert device.confirmed
    assert client.get("/utilization/").status_code == 200


def test_enrolled_manager_needs_a_code_at_every_sign_in(client, make_staff, clinic):
    boss = make_staff("manager", username="boss2", two_factor_exempt=False)
    device = TOTPDevice.objects.create(user=boss, name="phone", confirmed=True)
    sign_in(client, "boss2")
    assert client.get("/board/").status_code == 302
    page = client.get("/account/two-factor/")
    assert b"<svg" not in page.content  # no new QR: a code is asked for
    # A session that owes its code gets nothing from the API either.
    assert client.get("/api/chairs/").status_code == 403
    client.post("/account/two-factor/", {"code": code_for(device)})
    assert client.get("/board/").status_code == 200
    assert client.get("/api/chairs/").status_code == 200
    # And it cannot be switched off: the role requires it.
    client.post("/account/two-factor/remove/")
    assert TOTPDevice.objects.filter(user=boss).exists()


def test_nurse_is_not_asked_but_may_opt_in(client, make_staff, clinic):
    nurse = make_staff("nurse", username="nurse9", two_factor_exempt=False)
    sign_in(client, "nurse9")
    assert client.get("/roster/").status_code == 200
    client.get("/account/two-factor/")
    device = TOTPDevice.objects.get(user=nurse)
    client.post("/account/two-factor/", {"code": code_for(device)})
    client.logout()
    sign_in(client, "nurse9")
    assert client.get("/roster/").status_code == 302  # opted in: now asked every time
    device.refresh_from_db()
    # A later step's code (the same code is never accepted twice).
    device.tolerance = 2
    device.save()
    from django_otp.oath import TOTP

    t = TOTP(device.bin_key, step=device.step, t0=device.t0, digits=device.digits)
    t.time = t.time + device.step
    client.post("/account/two-factor/", {"code": f"{t.token():06d}"})
    assert client.get("/roster/").status_code == 200
    # Optional for a nurse, so it can be turned off again.
    client.post("/account/two-factor/remove/")
    assert not TOTPDevice.objects.filter(user=nurse).exists()


def test_demo_logins_are_exempt(client, make_staff, clinic):
    make_staff("manager", username="demo_boss")  # in the exempt group, like the demo seed
    sign_in(client, "demo_boss")
    assert client.get("/utilization/").status_code == 200


def test_tokens_are_not_asked_for_a_code(client_as, clinic):
    api = client_as("manager", two_factor_exempt=False)
    assert api.get("/api/chairs/").status_code == 200
