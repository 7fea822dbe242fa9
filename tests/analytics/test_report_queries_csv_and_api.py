"""The report's query count is flat, the CSV equals the table on the page, the API is the
manager's, and this period is compared with the previous one."""

import csv
import datetime as dt
import io
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from analytics.selectors import report
from tests.analytics.conftest import period

pytestmark = pytest.mark.postgres


def _fill(history, day, n, clinic):
    for i in range(n):
        history(
            day + dt.timedelta(days=i % 5),
            f"{8 + (i // 5) % 9}:{(i % 4) * 15:02d}",
            started=(i * 7) % 40,
            nurse=clinic["nurses"][i % 4],
            chair=clinic["chairs"][i % 8],
            status="no_show" if i % 9 == 4 else "completed",
        )


def test_query_count_does_not_grow_with_sessions(history, past_monday, clinic):
    _fill(history, past_monday, 5, clinic)
    with CaptureQueriesContext(connection) as few:
        report(period(past_monday))
    _fill(history, past_monday, 40, clinic)
    with CaptureQueriesContext(connection) as many:
        rep = report(period(past_monday))
    assert len(many) == len(few)
    assert rep.tables["nurse-load"].rows


def test_previous_period_is_compared(history, past_monday):
    last_week = past_monday - dt.timedelta(days=7)
    history(last_week, "09:00", started=40)  # late
    history(past_monday, "09:00", started=0)  # on time
    rep = report(period(past_monday))
    kpi = {k.id: k for k in rep.kpis}["on_time_pct"]
    assert rep.previous.date_from == last_week
    assert (kpi.value, kpi.previous, kpi.delta, kpi.improved) == (100.0, 0.0, 100.0, True)


@pytest.fixture
def manager_client(client, make_staff):
    client.force_login(make_staff("manager"))
    return client


def _page_tables(html: str) -> dict[str, list[list[str]]]:
    out = {}
    for sid, body in re.findall(
        r'<section class="card analytics-section" id="([^"]+)">(.*?)</section>', html, re.S
    ):
        rows = re.findall(r"<tr>(.*?)</tr>", body, re.S)
        out[sid] = [re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", r, re.S) for r in rows]
    return out


def test_csv_equals_the_table_on_the_page(manager_client, history, past_monday, clinic):
    _fill(history, past_monday, 12, clinic)
    query = f"?date_from={past_monday}&date_to={past_monday + dt.timedelta(days=6)}"
    page = manager_client.get("/analytics/" + query)
    assert page.status_code == 200
    tables = _page_tables(page.content.decode())
    assert {"punctuality-by-weekday", "chairs-by-day", "attendance-by-lead"} <= set(tables)
    for table_id in ("punctuality-by-weekday", "chairs-by-day", "nurse-load", "attendance-by-hour"):
        response = manager_client.get(f"/analytics/{table_id}.csv" + query)
        assert response["Content-Type"].startswith("text/csv")
        rows = list(csv.reader(io.StringIO(response.content.decode())))
        assert rows == [[c.replace("&lt;", "<") for c in r] for r in tables[table_id]]
        assert len(rows) > 1
    assert b"<svg" in page.content and b'data-chart="chairs-by-day"' in page.content


def test_page_and_csv_are_for_managers_only(client, make_staff):
    client.force_login(make_staff("front_desk"))
    assert client.get("/analytics/").status_code == 403
    assert client.get("/analytics/chairs-by-day.csv").status_code == 403


def test_api_summary_and_table(manager_client, history, past_monday):
    history(past_monday, "09:00", seated=0, started=25)
    q = f"?date_from={past_monday}&date_to={past_monday + dt.timedelta(days=6)}"
    summary = manager_client.get("/api/analytics/summary/" + q).json()
    kpis = {k["id"]: k for k in summary["kpis"]}
    assert kpis["drug_wait"]["value"] == 25.0
    assert kpis["on_time_pct"]["value"] == 0.0
    assert "punctuality-by-protocol" in summary["tables"]
    table = manager_client.get("/api/analytics/punctuality-by-protocol/" + q).json()
    assert table["rows"][0]["drug_wait_min"] == 25.0
    assert table["rows"][0]["infusions_started"] == 1
    assert manager_client.get("/api/analytics/nonsense/" + q).status_code == 404
    assert manager_client.get("/api/analytics/summary/?date_from=x").status_code == 400


def test_api_refuses_other_roles_and_is_in_the_schema(client, make_staff):
    client.force_login(make_staff("front_desk"))
    q = "?date_from=2026-01-01&date_to=2026-01-07"
    assert client.get("/api/analytics/summary/" + q).status_code == 403
    schema = client.get("/api/schema/?format=json").json()
    assert "/api/analytics/summary/" in schema["paths"]
    assert "/api/analytics/{table}/" in schema["paths"]
