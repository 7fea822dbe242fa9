"""Login, role-aware navigation, server-side role checks, logout and idle expiry."""

import time

import pytest
from django.urls import reverse

from tests.conftest import DEMO_PASSWORD

pytestmark = pytest.mark.django_db

FRONT_DESK_PAGES = ["board", "book", "due"]
NURSE_PAGES = ["roster"]
MANAGER_PAGES = ["board", "book", "due", "roster", "utilization"]


def test_anonymous_is_sent_to_login(client):
    for name in ["home", "board", "book", "due", "roster", "utilization", "patient_list"]:
        response = client.get(reverse(name))
        assert response.status_code == 302, name
        assert response.url.startswith(reverse("login")), name


def test_login_page_renders_and_bad_password_shows_error_in_place(client, front_desk):
    page = client.get(reverse("login"))
    assert page.status_code == 200
    assert b'name="username"' in page.content
    bad = client.post(reverse("login"), {"username": "frontdesk", "password": "nope"})
    assert bad.status_code == 200
    assert b"Please enter a correct username and password" in bad.content


def test_login_then_home_redirects_by_role(client, front_desk, nurse_user, manager):
    for user, target in [(front_desk, "board"), (nurse_user, "roster"), (manager, "board")]:
        client.logout()
        response = client.post(
            reverse("login"), {"username": user.username, "password": DEMO_PASSWORD}
        )
        assert response.status_code == 302
        home = client.get(response.url)
        assert home.status_code == 302 and home.url == reverse(target), user.username


def test_user_without_role_gets_403_on_home(client, django_user_model):
    django_user_model.objects.create_user("norole", password=DEMO_PASSWORD)
    client.login(username="norole", password=DEMO_PASSWORD)
    assert client.get(reverse("home")).status_code == 403


def test_navigation_shows_only_the_pages_of_the_role(
    login, front_desk, nurse_user, manager, clinic
):
    nav = {
        front_desk: (
            {"Day board", "Find &amp; book", "Due worklist", "Patients"},
            {"Roster", "Utilization"},
        ),
        nurse_user: (
            {"Roster", "Patients"},
            {"Day board", "Find &amp; book", "Due worklist", "Utilization"},
        ),
        manager: ({"Day board", "Find &amp; book", "Due worklist", "Roster", "Utilization"}, set()),
    }
    for user, (shown, hidden) in nav.items():
        client = login(user)
        page = client.get(reverse("patient_list")).content.decode()
        header = page.split("</nav>")[0]
        for label in shown:
            assert f">{label}</a>" in header, (user.username, label)
        for label in hidden:
            assert f">{label}</a>" not in header, (user.username, label)
        client.logout()


@pytest.mark.parametrize("page", ["board", "book", "due", "utilization", "patient_new"])
def test_nurse_cannot_open_front_desk_or_manager_pages(login, nurse_user, page):
    assert login(nurse_user).get(reverse(page)).status_code == 403


@pytest.mark.parametrize("page", ["roster", "utilization"])
def test_front_desk_cannot_open_nurse_or_manager_pages(login, front_desk, page):
    assert login(front_desk).get(reverse(page)).status_code == 403


def test_nurse_cannot_post_a_booking_or_cancel(login, nurse_user, booked_day):
    (session,) = booked_day(1)
    client = login(nurse_user)
    assert client.post(reverse("book"), {"patient": session.patient_id}).status_code == 403
    assert (
        client.post(reverse("session_cancel", args=[session.pk]), {"reason": "x"}).status_code
        == 403
    )
    session.refresh_from_db()
    assert session.status == "booked"


def test_logout_is_a_post_and_ends_the_session(login, front_desk):
    client = login(front_desk)
    assert client.get(reverse("logout")).status_code == 405
    response = client.post(reverse("logout"))
    assert response.status_code == 302
    assert client.get(reverse("board")).status_code == 302


def test_idle_session_expires(login, front_desk, settings):
    settings.SESSION_IDLE_SECONDS = 60
    client = login(front_desk)
    assert client.get(reverse("board")).status_code == 200
    session = client.session
    session["last_activity"] = time.time() - 61
    session.save()
    response = client.get(reverse("board"))
    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))
    assert "next=%2Fboard%2F" in response.url
    # Signed out for good: the next request is anonymous too.
    assert client.get(reverse("board")).status_code == 302


def test_activity_keeps_the_session_alive(login, front_desk, settings):
    settings.SESSION_IDLE_SECONDS = 60
    client = login(front_desk)
    session = client.session
    session["last_activity"] = time.time() - 59
    session.save()
    assert client.get(reverse("board")).status_code == 200
    assert client.get(reverse("board")).status_code == 200


def test_idle_expiry_on_htmx_request_redirects_the_page(login, front_desk, settings):
    settings.SESSION_IDLE_SECONDS = 60
    client = login(front_desk)
    client.get(reverse("board"))
    session = client.session
    session["last_activity"] = time.time() - 120
    session.save()
    response = client.get(reverse("board"), headers={"HX-Request": "true"})
    assert response.status_code == 204
    assert response["HX-Redirect"].startswith(reverse("login"))
