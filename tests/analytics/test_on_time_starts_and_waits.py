"""On-time starts, arrival and drug waits, planned against actual chair time."""

import datetime as dt

import pytest

from analytics.selectors import punctuality, punctuality_by
from tests.analytics.conftest import period
from tests.conftest import TZ

pytestmark = pytest.mark.postgres


def test_three_of_ten_late_is_seventy_percent_on_time(history, past_monday):
    # Seven started within 15 minutes of plan (one exactly at +15), three later.
    for i, started in enumerate([0, 5, 10, 15, -5, 3, 14, 16, 30, 45]):
        history(past_monday, f"{8 + i}:00", seated=min(0, started), started=started)
    p = punctuality(period(past_monday), TZ)
    assert p.started == 10
    assert p.on_time == 7
    assert p.on_time_pct == 70.0
    assert p.late == 3


def test_drug_wait_is_seated_to_infusion_start(history, past_monday):
    history(past_monday, "09:00", arrived=-10, seated=5, started=30)  # drug wait 25, arrival 15
    history(past_monday, "11:00", arrived=0, seated=5, started=30)  # drug wait 25, arrival 5
    p = punctuality(period(past_monday), TZ)
    assert p.drug_wait == 25.0
    assert p.arrival_wait == 10.0


def test_planned_against_actual_chair_time(history, past_monday):
    # Planned 120 min chair time (start to observation end); seated 0, discharged 150: overrun.
    history(past_monday, "09:00", seated=0, started=10, discharged=150)
    history(past_monday, "13:00", seated=10, started=20, discharged=120)  # 110 min
    p = punctuality(period(past_monday), TZ)
    assert p.planned_chair == 120.0
    assert p.actual_chair == 130.0


def test_sessions_not_started_are_not_counted(history, past_monday):
    history(past_monday, "09:00", started=0)
    history(past_monday, "10:00", status="no_show")
    history(past_monday, "11:00", status="cancelled", cancelled_before=dt.timedelta(hours=3))
    assert punctuality(period(past_monday), TZ).started == 1


def test_by_weekday_and_hour_and_protocol(history, past_monday):
    tuesday = past_monday + dt.timedelta(days=1)
    history(past_monday, "09:00", started=0)
    history(past_monday, "09:30", started=40)
    history(tuesday, "14:00", started=20, protocol_code="ocrelizumab_iv")
    by_day = {r.label: r for r in punctuality_by(period(past_monday), TZ, "weekday")}
    assert by_day["Mon"].started == 2 and by_day["Mon"].on_time_pct == 50.0
    assert by_day["Tue"].on_time == 0 and by_day["Tue"].key == 1
    by_hour = {r.key: r for r in punctuality_by(period(past_monday), TZ, "hour")}
    assert set(by_hour) == {9, 14}
    assert by_hour[9].started == 2
    by_protocol = {r.key: r for r in punctuality_by(period(past_monday), TZ, "protocol")}
    assert by_protocol["ocrelizumab_iv"].label == "Ocrevus"
    assert by_protocol["natalizumab"].started == 2


def test_filters_narrow_the_sessions(history, past_monday, clinic):
    history(past_monday, "09:00", started=0, nurse=clinic["nurses"][0])
    history(past_monday, "10:00", started=40, nurse=clinic["nurses"][1])
    history(past_monday + dt.timedelta(days=2), "10:00", started=0)
    assert punctuality(period(past_monday, nurse=clinic["nurses"][0].pk), TZ).started == 1
    assert punctuality(period(past_monday, weekday=2), TZ).started == 1
    assert punctuality(period(past_monday, hour=10), TZ).on_time == 1
    assert punctuality(period(past_monday, area="Bay B"), TZ).started == 0
    assert punctuality(period(past_monday, protocol="natalizumab"), TZ).started == 3
