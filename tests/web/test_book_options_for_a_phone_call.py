"""Find-and-book for a phone call: options spread over days, "more on this day", the patient's
week view (green / amber / grey), and fit-me-in when the needed day is full."""

import datetime as dt
import re

import pytest
from django.urls import reverse

from patients import availability
from scheduling import services
from scheduling.models import Chair, InfusionSession
from tests.conftest import at

pytestmark = [pytest.mark.django_db, pytest.mark.postgres]


def _search(patient, day, days=5):
    return {
        "patient": patient.pk,
        "protocol": "ocrelizumab_iv",
        "dose_number": 1,
        "option": "standard",
        "date_from": day.isoformat(),
        "date_to": (day + dt.timedelta(days=days - 1)).isoformat(),
        "searched": "1",
    }


def test_options_are_spread_over_days_with_more_on_each_day(
    login, front_desk, make_patient, clinic, clinic_day
):
    patient = make_patient()
    client = login(front_desk)
    page = client.get(reverse("book"), _search(patient, clinic_day)).content.decode()
    starts = re.findall(r'<li class="slot" data-start="([^"]+)"', page)
    days = [s[:10] for s in starts]
    # The best of each day comes first: the first five options are on five different days.
    assert len(set(days[:5])) == 5, days
    assert page.count("More on ") == 5 and 'id="week-view"' in page

    more = client.get(
        reverse("book_more"), {**_search(patient, clinic_day), "day": clinic_day.isoformat()}
    )
    assert more.status_code == 200
    more_starts = [
        dt.datetime.fromisoformat(s)
        for s in re.findall(r'<li class="slot" data-start="([^"]+)"', more.content.decode())
    ]
    assert len(more_starts) >= 4 and {s.date() for s in more_starts} == {clinic_day}
    gaps = sorted(more_starts)
    assert all((b - a) >= dt.timedelta(minutes=30) for a, b in zip(gaps, gaps[1:], strict=False))


def test_the_week_view_colours_days_by_the_patient_s_availability(
    login, front_desk, make_patient, clinic, clinic_day
):
    patient = make_patient()
    availability.set_availability(
        patient=patient,
        windows=[
            {"weekdays": [0, 2], "kind": "available", "strength": "must"},
            {"weekdays": [0], "kind": "available", "strength": "wish"},
        ],
        preferred_minute=9 * 60,
        short_notice_ok=False,
    )
    response = login(front_desk).get(reverse("book_week"), _search(patient, clinic_day))
    assert response.status_code == 200
    states = dict(re.findall(r'data-day="([^"]+)" data-state="([^"]+)"', response.content.decode()))
    day = clinic_day.isoformat
    assert states[day()] == "green"
    assert states[(clinic_day + dt.timedelta(days=2)).isoformat()] == "amber"
    assert states[(clinic_day + dt.timedelta(days=1)).isoformat()] == "grey"
    assert states[(clinic_day + dt.timedelta(days=5)).isoformat()] == "closed"


def test_fit_me_in_from_find_and_book(login, front_desk, make_patient, clinic, clinic_day):
    a, b = clinic["chairs"][0], clinic["chairs"][1]
    Chair.objects.exclude(pk__in=[a.pk, b.pk]).update(active=False)
    tysabri = clinic["protocols"]["natalizumab"]
    for chair, hour, minute in ((a, 11, 30), (b, 9, 0)):
        services.book_session(
            patient=make_patient(),
            protocol=tysabri,
            dose_number=1,
            start=at(clinic_day, hour, minute),
            chair=chair,
        )
    patient = make_patient()
    availability.set_availability(
        patient=patient,
        windows=[{"weekdays": [clinic_day.weekday()], "start": "09:00", "end": "13:00"}],
        preferred_minute=540,
        short_notice_ok=False,
    )
    client = login(front_desk)
    more = client.get(
        reverse("book_more"), {**_search(patient, clinic_day, 1), "day": clinic_day.isoformat()}
    )
    html = more.content.decode()
    assert "Nothing free on" in html and "Fit me in on" in html
    form = {**_search(patient, clinic_day, 1), "day": clinic_day.isoformat()}
    proposal = client.post(reverse("book_fit"), form)
    assert proposal.status_code == 200
    html = proposal.content.decode()
    assert "What changes for other sessions (1; no patient&#x27;s time changes)" in html or (
        "no patient's time changes" in html
    )
    token = re.search(r'name="plan" value="([^"]+)"', html).group(1)
    applied = client.post(reverse("book_fit_apply"), {**form, "plan": token})
    assert applied.status_code == 302 and "/book/done/session/" in applied["Location"]
    booked = InfusionSession.objects.get(patient=patient)
    assert booked.start == at(clinic_day, 9)
    # The same proposal again: the day changed (the patient is booked now), never a 500.
    again = client.post(reverse("book_fit_apply"), {**form, "plan": token})
    assert again.status_code in (400, 409)
    tampered = client.post(reverse("book_fit_apply"), {**form, "plan": token[:-3] + "abc"})
    assert tampered.status_code == 400 and "too old" in tampered.content.decode()
