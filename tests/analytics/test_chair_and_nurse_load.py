"""Chair-hours booked and used by hour and day, peaks, nurse load, starts per stagger slot."""

import datetime as dt
import importlib
import types

import pytest

from analytics.selectors import nurse_figures, occupancy
from tests.analytics.conftest import period
from tests.conftest import TZ

pytestmark = pytest.mark.postgres


@pytest.fixture(autouse=True, params=["database", "python"])
def aggregation_path(request, monkeypatch):
    """Every known answer here holds twice: aggregated in PostgreSQL, and by the Python path
    the embedded run takes on SQLite (which has no generate_series or AT TIME ZONE)."""
    if request.param == "python":
        module = importlib.import_module("analytics.selectors.occupancy")
        monkeypatch.setattr(module, "connection", types.SimpleNamespace(vendor="sqlite"))
    return request.param


def test_booked_and_used_by_hour(history, past_monday, clinic):
    # Booked 09:00-11:15 (chair release); seated 09:30, discharged 11:00, + 15 turnover.
    history(past_monday, "09:00", seated=30, started=35, discharged=120)
    occ = occupancy(period(past_monday, days=1), TZ)
    hours = {h.hour: h for h in occ.by_hour}
    assert hours[9].booked == pytest.approx(1.0)
    assert hours[9].actual == pytest.approx(0.5)
    assert hours[10].booked == pytest.approx(1.0) and hours[10].actual == pytest.approx(1.0)
    assert hours[11].booked == pytest.approx(0.25) and hours[11].actual == pytest.approx(0.25)
    # Open 07:00-19:00 on 8 chairs: 8 chair-hours every hour.
    assert hours[7].open == pytest.approx(8.0) and hours[7].booked == 0
    day = occ.by_day[0]
    assert day.open == pytest.approx(96.0)
    assert day.booked == pytest.approx(2.25)
    assert day.booked_pct == round(100 * 2.25 / 96, 1)


def test_peak_and_peak_to_mean(history, past_monday, clinic):
    chairs = clinic["chairs"]
    history(past_monday, "09:00", chair=chairs[0])
    history(past_monday, "10:00", chair=chairs[1])
    history(past_monday, "11:15", chair=chairs[0])  # starts when the first releases: not 3
    day = occupancy(period(past_monday, days=1), TZ).by_day[0]
    assert day.peak_booked == 2
    assert day.mean_booked == pytest.approx(3 * 2.25 / 12)
    assert day.peak_to_mean == round(2 / (3 * 2.25 / 12), 2)


def test_closed_days_have_no_capacity_and_weekday_filter(history, past_monday):
    history(past_monday, "09:00")
    occ = occupancy(period(past_monday), TZ)
    saturday = next(d for d in occ.by_day if d.day.weekday() == 5)
    assert not saturday.is_open and saturday.open == 0
    only_monday = occupancy(period(past_monday, weekday=0), TZ)
    assert [d.day for d in only_monday.by_day] == [past_monday]


def test_no_shows_hold_the_chair_booked_but_not_used(history, past_monday):
    history(past_monday, "09:00", status="no_show")
    history(past_monday, "13:00", status="cancelled", cancelled_before=dt.timedelta(hours=2))
    occ = occupancy(period(past_monday, days=1), TZ)
    day = occ.by_day[0]
    assert day.booked == pytest.approx(2.25)
    assert day.actual == 0
    # A session never seated adds no hours outside its own (no "used until now").
    assert {h.hour for h in occ.by_hour} == set(range(7, 19))


def test_nurse_load_spread_and_starts_per_slot(history, past_monday, clinic):
    a, b = clinic["nurses"][1], clinic["nurses"][3]
    # Nurse a starts two infusions in one 15-minute slot (09:00 and 09:10), one at 11:00.
    history(past_monday, "09:00", nurse=a, started=0)
    history(past_monday, "09:10", nurse=a, started=0, chair=clinic["chairs"][1])
    history(past_monday, "11:00", nurse=a, started=0, chair=clinic["chairs"][2])
    history(past_monday, "09:00", nurse=b, started=0, chair=clinic["chairs"][3])
    figures = nurse_figures(period(past_monday, days=1), TZ)
    load = {n.name: n for n in figures.nurses}
    assert load[a.name].sessions == 3 and load[a.name].patient_hours == 6.0
    assert load[b.name].patient_hours == 2.0
    assert figures.spread == 0.5  # loads 6 and 2: stdev 2, mean 4
    assert figures.starts_per_slot == {1: 2, 2: 1}
    assert figures.crowded_slots == 1
