"""The nurse roster: my patients in order, status buttons swap the row, print view."""

import datetime as dt

import pytest
import time_machine
from django.urls import reverse

pytestmark = pytest.mark.django_db


def test_roster_defaults_to_my_patients(login, nurse_user, booked_day, clinic_day):
    sessions = booked_day(4)
    mine = [s for s in sessions if s.nurse and s.nurse.user_id == nurse_user.pk]
    assert mine
    page = login(nurse_user).get(reverse("roster"), {"date": clinic_day.isoformat()})
    assert page.status_code == 200
    html = page.content.decode()
    for s in sessions:
        assert (f'id="roster-{s.pk}"' in html) == (s in mine)
    assert "Premedication" in html and "Labs missing" in html and "REMS" in html
    assert 'id="print-roster"' in html


def test_roster_status_buttons_swap_the_row(login, nurse_user, booked_day):
    session = next(s for s in booked_day(2) if s.protocol.code == "natalizumab")
    hx = {"HX-Request": "true"}
    # A week ahead the row refuses check-in with the day named.
    early = login(nurse_user).post(
        reverse("roster_action", args=[session.pk, "check-in"]), headers=hx
    )
    assert early.status_code == 200 and "only on the day" in early.content.decode()
    with time_machine.travel(session.start - dt.timedelta(minutes=30), tick=False):
        client = login(nurse_user)
        row = client.post(reverse("roster_action", args=[session.pk, "check-in"]), headers=hx)
        assert row.status_code == 200
        html = row.content.decode()
        assert html.strip().startswith("<tr") and "Checked in" in html and ">Start<" in html
        # REMS drug: start before the REMS check is refused in the row, not with an error page.
        refused = client.post(reverse("roster_action", args=[session.pk, "start"]), headers=hx)
        assert refused.status_code == 200 and "Record the" in refused.content.decode()
        client.post(reverse("roster_action", args=[session.pk, "rems"]), headers=hx)
        started = client.post(reverse("roster_action", args=[session.pk, "start"]), headers=hx)
        assert "In chair" in started.content.decode()
        done = client.post(reverse("roster_action", args=[session.pk, "complete"]), headers=hx)
        assert "Completed" in done.content.decode()
        session.refresh_from_db()
        assert session.status == "completed" and session.rems_checked_at is not None
        assert (
            client.post(reverse("roster_action", args=[session.pk, "explode"])).status_code == 404
        )
        no_show = client.post(reverse("roster_action", args=[session.pk, "no-show"]))
        assert no_show.status_code == 302  # plain POST falls back to a redirect with a message


@pytest.mark.parametrize(
    "params", [{"date": "nope"}, {"nurse": "abc"}, {"nurse": "999999"}, {"print": "1"}]
)
def test_roster_bad_params_never_500(login, nurse_user, clinic, params):
    assert login(nurse_user).get(reverse("roster"), params).status_code == 200


def test_roster_query_count_is_constant(
    login, manager, booked_day, clinic_day, django_assert_max_num_queries
):
    client = login(manager)
    booked_day(2)
    client.get(reverse("roster"), {"date": clinic_day.isoformat()})  # warm caches
    with django_assert_max_num_queries(30) as few:
        client.get(reverse("roster"), {"date": clinic_day.isoformat()})
    booked_day(6)
    with django_assert_max_num_queries(len(few.captured_queries)):
        page = client.get(reverse("roster"), {"date": clinic_day.isoformat()})
    assert page.content.decode().count('id="roster-') == 8
