"""Staff sign-in cannot be guessed: after AXES_FAILURE_LIMIT wrong passwords the username is
locked out from that address (even the right password is refused), an unknown username gets
exactly the same answers, and a success in time resets the count."""

import pytest
from django.test import override_settings

from tests.conftest import DEMO_PASSWORD

pytestmark = pytest.mark.django_db


def attempt(client, username, password):
    return client.post("/login/", {"username": username, "password": password})


@override_settings(AXES_FAILURE_LIMIT=5)
def test_five_wrong_passwords_lock_the_username_out(client, make_staff):
    make_staff("front_desk", username="desk1")
    answers = [attempt(client, "desk1", f"wrong-{i}").status_code for i in range(4)]
    assert answers == [200] * 4  # the form again, with its error
    locked = attempt(client, "desk1", "wrong-5")
    assert locked.status_code == 429
    assert b"Sign-in paused" in locked.content
    # The right password does not get in while locked.
    right = attempt(client, "desk1", DEMO_PASSWORD)
    assert right.status_code == 429
    assert "_auth_user_id" not in client.session


@override_settings(AXES_FAILURE_LIMIT=5)
def test_thirty_wrong_passwords_never_let_the_right_one_in(client, make_staff):
    make_staff("front_desk", username="desk2")
    codes = [attempt(client, "desk2", f"guess-{i}").status_code for i in range(30)]
    assert codes.count(429) == 26
    assert attempt(client, "desk2", DEMO_PASSWORD).status_code == 429


@override_settings(AXES_FAILURE_LIMIT=3)
def test_unknown_username_is_answered_like_a_known_one(client, make_staff):
    make_staff("front_desk", username="realuser")
    known = [attempt(client, "realuser", "nope") for _ in range(3)]
    unknown = [attempt(client, "nosuchuser", "nope") for _ in range(3)]
    assert [r.status_code for r in known] == [r.status_code for r in unknown] == [200, 200, 429]
    # Same message for a wrong password and an unknown username: nothing to enumerate.
    assert known[0].context["form"].non_field_errors() == (
        unknown[0].context["form"].non_field_errors()
    )


@override_settings(AXES_FAILURE_LIMIT=5)
def test_other_users_and_a_reset_by_success(client, make_staff):
    make_staff("front_desk", username="desk3")
    make_staff("nurse", username="nurse3")
    for i in range(5):
        attempt(client, "desk3", f"x{i}")
    # Another username from the same address is not locked out.
    ok = attempt(client, "nurse3", DEMO_PASSWORD)
    assert ok.status_code == 302
    client.logout()
    # A success before the limit clears the count.
    for i in range(4):
        attempt(client, "nurse3", f"y{i}")
    assert attempt(client, "nurse3", DEMO_PASSWORD).status_code == 302
    client.logout()
    for i in range(4):
        assert attempt(client, "nurse3", f"z{i}").status_code == 200


@override_settings(AXES_FAILURE_LIMIT=3)
def test_admin_login_is_locked_out_too(client, make_staff):
    make_staff("manager", username="boss")
    codes = [
        client.post("/admin/login/", {"username": "boss", "password": "bad"}).status_code
        for _ in range(4)
    ]
    assert codes[-1] == 429
