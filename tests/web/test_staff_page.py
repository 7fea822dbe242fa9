"""/staff/: managers only; create a login with errors in place; change role; deactivate."""

import pytest
from django.contrib.auth.models import User
from django.urls import reverse

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("who", ["front_desk", "nurse_user"])
def test_other_roles_get_403(request, login, who):
    client = login(request.getfixturevalue(who))
    assert client.get(reverse("staff")).status_code == 403
    assert client.post(reverse("staff"), {"username": "x"}).status_code == 403


def test_manager_sees_logins_and_the_nav_link(login, manager, front_desk):
    page = login(manager).get(reverse("staff"))
    assert page.status_code == 200
    html = page.content.decode()
    assert 'data-user="frontdesk"' in html and f'href="{reverse("staff")}"' in html


def test_create_login_errors_in_place_then_created(login, manager, clinic):
    client = login(manager)
    bad = client.post(
        reverse("staff"),
        {"username": "newnurse", "role": "nurse", "password": "123", "email": "bad"},
    )
    assert bad.status_code == 400
    html = bad.content.decode()
    assert "Please correct the fields marked below." in html
    assert not User.objects.filter(username="newnurse").exists()
    nurse = clinic["nurses"][0]
    ok = client.post(
        reverse("staff"),
        {
            "username": "newnurse",
            "first_name": "Nia",
            "role": "nurse",
            "password": "Chair-rota-2026!",
            "nurse": nurse.pk,
        },
    )
    assert ok.status_code == 302
    nurse.refresh_from_db()
    assert nurse.user.username == "newnurse"


def test_change_role_and_deactivate_from_the_page(login, manager, front_desk):
    client = login(manager)
    url = reverse("staff_update", args=[front_desk.pk])
    assert client.post(url, {"action": "role", "role": "manager"}).status_code == 302
    assert front_desk.groups.filter(name="manager").exists()
    assert client.post(url, {"action": "deactivate"}).status_code == 302
    front_desk.refresh_from_db()
    assert not front_desk.is_active and User.objects.filter(pk=front_desk.pk).exists()


def test_manager_cannot_deactivate_themself_on_the_page(login, manager):
    client = login(manager)
    refused = client.post(reverse("staff_update", args=[manager.pk]), {"action": "deactivate"})
    assert refused.status_code == 400
    assert "You cannot deactivate your own login." in refused.content.decode()
    manager.refresh_from_db()
    assert manager.is_active
