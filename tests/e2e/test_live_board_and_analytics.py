"""The demo in a browser at 10:30 on a clinic day: the board shows the now line and a late
arrival, blocks show the drug without clipping their badges, the hour header stays on screen,
a closed day says so; the manager's navigation fits one line at 1280 px; the analytics page
draws its charts from the demo's history; the utilization fields show the range shown.
Screenshots: test-artifacts/screenshots/live-*.png."""

from __future__ import annotations

import datetime as dt
from io import StringIO

import pytest
import time_machine
from django.core.management import call_command

from tests.conftest import TZ
from tests.e2e.conftest import screenshot, sign_in

pytestmark = [pytest.mark.e2e, pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

DAY = dt.date(2026, 10, 14)  # a Wednesday
HALF_PAST_TEN = dt.datetime.combine(DAY, dt.time(10, 30), tzinfo=TZ)


@pytest.fixture
def demo_at_half_past_ten(roles, catalogue):
    with time_machine.travel(HALF_PAST_TEN, tick=True):
        call_command("seed_demo", "--patients", "400", stdout=StringIO())
        yield


def test_board_at_half_past_ten(demo_at_half_past_ten, new_page):
    page = new_page()
    sign_in(page, "frontdesk")
    page.goto("/board/")
    now = page.locator(".now-line")
    assert now.count() == 1
    assert now.get_attribute("data-now").startswith("10:3")
    late = page.locator(".board .block.late")
    assert late.count() >= 1
    assert "late" in late.first.inner_text()
    assert "not checked in" in late.first.get_attribute("aria-label")
    # The now line sits between the 10:00 and 11:00 hour labels.
    line_x = page.evaluate(
        "() => { const l = document.querySelector('.now-line');"
        " return l.getBoundingClientRect().left + l.getBoundingClientRect().width"
        " * parseFloat(getComputedStyle(l).getPropertyValue('--now')) / 100; }"
    )
    ten = page.locator(".board .hour", has_text="10:00").bounding_box()
    eleven = page.locator(".board .hour", has_text="11:00").bounding_box()
    assert ten["x"] < line_x < eleven["x"]
    # Every block shows its drug and nothing inside it is cut off.
    assert page.locator(".board .block .drug").count() == page.locator(".board .block").count()
    clipped = page.evaluate(
        "() => [...document.querySelectorAll('.board .block')].filter(b => {"
        " const r = b.getBoundingClientRect();"
        " return [...b.querySelectorAll('.who > *')].some(c => {"
        "   const q = c.getBoundingClientRect();"
        "   return q.bottom > r.bottom + 1 || q.right > r.right + 1; }); }).length"
    )
    assert clipped == 0
    statuses = set(
        page.evaluate(
            "() => [...document.querySelectorAll('.board .block')].map(b => b.classList[1])"
        )
    )
    assert {"status-completed", "status-in_chair"} <= statuses
    assert page.locator(".status-legend").is_visible()
    screenshot(page, "live-board-1030")
    # Scrolled down inside the board, the hour header is still at its top.
    page.evaluate("() => document.querySelector('.board-wrap').scrollTop = 300")
    wrap = page.locator(".board-wrap").bounding_box()
    hour = page.locator(".board .hour").first.bounding_box()
    assert abs(hour["y"] - wrap["y"]) < 3
    screenshot(page, "live-board-scrolled")


def test_a_closed_day_on_the_board(demo_at_half_past_ten, new_page):
    from scheduling.models import Closure

    closed = Closure.objects.filter(date__gt=DAY).order_by("date").first()
    page = new_page()
    sign_in(page, "frontdesk")
    page.goto(f"/board/?date={closed.date}")
    assert page.locator(".alert.closed-day").is_visible()
    assert closed.reason in page.locator(".alert.closed-day").inner_text()
    assert page.locator(".board.board-closed").count() == 1
    screenshot(page, "live-board-closed-day")


def test_manager_pages(demo_at_half_past_ten, new_page):
    page = new_page(1280, 900)
    sign_in(page, "manager")
    page.goto("/analytics/")
    # One line: every navigation item at the same height, the bar one line tall.
    tops = page.evaluate(
        "() => [...document.querySelectorAll('header nav li')].map(li => li.getBoundingClientRect().top)"
    )
    assert len(tops) >= 8 and max(tops) - min(tops) < 2
    assert page.locator("header.topbar").bounding_box()["height"] < 60
    page.screenshot(
        path=str(screenshot(page, "live-nav-manager-1280")),
        clip={"x": 0, "y": 0, "width": 1280, "height": 120},
    )
    # Every chart drawn from the demo's history has bars.
    for chart in (
        "punctuality-by-weekday",
        "punctuality-by-protocol",
        "attendance-by-lead",
        "chairs-by-hour",
        "chairs-by-day",
        "nurse-load",
    ):
        bars = page.locator(f'svg[data-chart="{chart}"] rect.used')
        assert bars.count() >= 2, chart
    on_time = page.locator('[data-kpi="on_time_pct"] strong').inner_text()
    assert on_time.endswith("%") and 50 <= float(on_time.rstrip("%")) <= 95
    screenshot(page, "live-analytics")
    page.goto("/utilization/")
    monday = DAY - dt.timedelta(days=DAY.weekday())
    assert page.locator("#id_date_from").input_value() == monday.isoformat()
    saturday = monday + dt.timedelta(days=5)
    assert page.locator("#id_date_to").input_value() == saturday.isoformat()
    screenshot(page, "live-utilization")
