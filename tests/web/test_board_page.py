"""The day board: chairs as rows, blocks with phases, lab dot and REMS badge; the side panel."""

import datetime as dt

import pytest
import time_machine
from django.urls import reverse

pytestmark = pytest.mark.django_db


def test_board_shows_each_session_as_a_block_with_phases(login, front_desk, booked_day, clinic_day):
    sessions = booked_day(2)
    page = login(front_desk).get(reverse("board"), {"date": clinic_day.isoformat()})
    assert page.status_code == 200
    html = page.content.decode()
    for chair in ("R1", "R6", "B1", "B2"):
        assert f">{chair}<small>" in html
    for s in sessions:
        assert f'data-session="{s.pk}"' in html
        assert s.patient.initials in html
    assert html.count('class="phase phase-I"') == 2
    assert (
        'class="phase phase-P"' in html
        and 'class="phase phase-O"' in html
        and 'class="phase phase-T"' in html
    )
    # Natalizumab carries a REMS badge, Ocrevus does not: exactly one on the board (plus the legend).
    assert html.count('class="rems rems-') == 1
    assert "Labs missing" in html  # no labs on file: red, in words as well as colour


def test_board_block_position_follows_the_clock(login, front_desk, booked_day, clinic_day):
    (ocrevus,) = booked_day(1)  # 07:00 arrival on a 07:00-19:00 grid of 15-minute columns
    html = (
        login(front_desk).get(reverse("board"), {"date": clinic_day.isoformat()}).content.decode()
    )
    minutes = int((ocrevus.chair_release_at - ocrevus.start).total_seconds() // 60)
    end_col = 2 + -(-minutes // 15)
    assert f"grid-column: 2 / {end_col}" in html
    assert "--cols: 48" in html


@pytest.mark.parametrize("bad", ["2026-13-45", "yesterday", "", "9" * 40, "2026-02-30"])
def test_board_bad_date_never_500(login, front_desk, clinic, bad):
    page = login(front_desk).get(reverse("board"), {"date": bad})
    assert page.status_code == 200


def test_board_query_count_is_constant(
    login, front_desk, booked_day, clinic_day, django_assert_max_num_queries
):
    client = login(front_desk)
    booked_day(2)
    client.get(reverse("board"), {"date": clinic_day.isoformat()})
    with django_assert_max_num_queries(30) as few:
        client.get(reverse("board"), {"date": clinic_day.isoformat()})
    booked_day(6)
    with django_assert_max_num_queries(len(few.captured_queries)):
        page = client.get(reverse("board"), {"date": clinic_day.isoformat()})
    assert page.content.decode().count("data-session=") == 8


def test_block_details_panel_is_a_partial_for_htmx(login, front_desk, booked_day):
    (session,) = booked_day(1)
    client = login(front_desk)
    panel = client.get(reverse("session_detail", args=[session.pk]), headers={"HX-Request": "true"})
    assert panel.status_code == 200
    html = panel.content.decode()
    assert "<html" not in html
    assert session.patient.full_name in html and "Check in" in html and "Cancel session" in html
    full = client.get(reverse("session_detail", args=[session.pk]))
    assert "<html" in full.content.decode()
    assert client.get(reverse("session_detail", args=[999999])).status_code == 404


def test_cancel_needs_a_reason_shown_in_place(login, front_desk, booked_day):
    (session,) = booked_day(1)
    client = login(front_desk)
    response = client.post(reverse("session_cancel", args=[session.pk]), {"reason": "  "})
    assert response.status_code == 400
    assert 'class="errorlist' in response.content.decode()
    session.refresh_from_db()
    assert session.status == "booked"
    done = client.post(
        reverse("session_cancel", args=[session.pk]), {"reason": "Patient has a cold"}
    )
    assert done.status_code == 302
    session.refresh_from_db()
    assert session.status == "cancelled" and session.cancel_reason == "Patient has a cold"
    # A second cancel is refused with a message, not a 500.
    again = client.post(reverse("session_cancel", args=[session.pk]), {"reason": "again"})
    assert again.status_code == 409 and "cannot be cancelled" in again.content.decode()


def test_check_in_from_the_board(login, front_desk, booked_day):
    (session,) = booked_day(1)
    client = login(front_desk)
    # A week ahead: refused in place with the day named, nothing changes.
    early = client.post(reverse("session_check_in", args=[session.pk]))
    assert early.status_code == 409
    assert "only on the day of their session" in early.content.decode()
    session.refresh_from_db()
    assert session.status == "booked"
    with time_machine.travel(session.start - dt.timedelta(minutes=20), tick=False):
        # Logged in on the day (a login a week earlier has long expired).
        response = login(front_desk).post(reverse("session_check_in", args=[session.pk]))
    assert response.status_code == 302
    session.refresh_from_db()
    assert session.status == "checked_in"
    assert session.checked_in_at == session.start - dt.timedelta(minutes=20)
    assert session.checked_in_by == front_desk


def test_reschedule_lists_options_and_moves(login, front_desk, booked_day, clinic_day):
    (session,) = booked_day(1)
    client = login(front_desk)
    page = client.get(
        reverse("session_reschedule", args=[session.pk]),
        {"date_from": clinic_day.isoformat(), "date_to": clinic_day.isoformat()},
    )
    assert page.status_code == 200
    html = page.content.decode()
    assert "Move here" in html
    bad = client.get(
        reverse("session_reschedule", args=[session.pk]), {"date_from": "x", "date_to": "y"}
    )
    assert bad.status_code == 200 and 'class="errorlist' in bad.content.decode()
    import re

    start = re.findall(r'name="start" value="([^"]+)"', html)[-1]
    chair = re.findall(r'name="chair" value="([^"]+)"', html)[-1]
    moved = client.post(
        reverse("session_reschedule", args=[session.pk]),
        {
            "date_from": clinic_day.isoformat(),
            "date_to": clinic_day.isoformat(),
            "start": start,
            "chair": chair,
        },
    )
    assert moved.status_code == 302, moved.content.decode()[:2000]
    session.refresh_from_db()
    assert session.start == dt.datetime.fromisoformat(start)
    garbage = client.post(
        reverse("session_reschedule", args=[session.pk]),
        {
            "date_from": clinic_day.isoformat(),
            "date_to": clinic_day.isoformat(),
            "start": "not-a-time",
        },
    )
    assert garbage.status_code == 400
