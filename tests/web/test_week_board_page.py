"""The week board: chairs x days occupancy, each day's booked curve beside the template's."""

import pytest
from django.urls import reverse

from scheduling.models import TemplateStart, TemplateStatus, WeeklyTemplate

pytestmark = [pytest.mark.django_db, pytest.mark.postgres]


def test_week_board_shows_occupancy_and_both_curves(login, front_desk, booked_day, clinic_day):
    sessions = booked_day(4)
    WeeklyTemplate.objects.create(
        name="Level",
        status=TemplateStatus.PUBLISHED,
        slot_minutes=15,
        hours={str(d): ["07:00", "19:00"] for d in range(5)},
    ).starts.create(weekday=0, start="07:00", duration_class="gt4h", count=3)
    assert TemplateStart.objects.count() == 1
    page = login(front_desk).get(reverse("week_board"), {"date": clinic_day.isoformat()})
    assert page.status_code == 200
    html = page.content.decode()
    assert "Template: <strong>Level</strong>" in html
    assert html.count('class="line-booked"') >= 5 and 'class="line-template"' in html
    chair = sessions[0].chair.name
    assert f'<th scope="row">{chair}</th>' in html
    assert f"{len(sessions)} sessions" in html  # the Monday


def test_week_board_query_count_is_flat(
    login, front_desk, booked_day, clinic_day, django_assert_max_num_queries
):
    booked_day(2)
    client = login(front_desk)
    client.get(reverse("week_board"), {"date": clinic_day.isoformat()})
    with django_assert_max_num_queries(16) as few:
        client.get(reverse("week_board"), {"date": clinic_day.isoformat()})
    booked_day(10)
    with django_assert_max_num_queries(len(few.captured_queries)):
        client.get(reverse("week_board"), {"date": clinic_day.isoformat()})
