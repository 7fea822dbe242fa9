"""The front desk edits availability on the patient page (htmx card), nurses only read it."""

import pytest
from django.urls import reverse

from patients import availability
from scheduling.models import AuditEvent

pytestmark = [pytest.mark.django_db, pytest.mark.postgres]


def _post(windows, preferred="", short_notice=False):
    data = {
        "aw-TOTAL_FORMS": str(len(windows)),
        "aw-INITIAL_FORMS": "0",
        "aw-MIN_NUM_FORMS": "0",
        "aw-MAX_NUM_FORMS": "12",
        "aw-preferred_time": preferred,
    }
    if short_notice:
        data["aw-short_notice_ok"] = "on"
    for i, w in enumerate(windows):
        data[f"aw-{i}-weekdays"] = [str(d) for d in w.get("weekdays", [])]
        data[f"aw-{i}-start"] = w.get("start", "")
        data[f"aw-{i}-end"] = w.get("end", "")
        data[f"aw-{i}-kind"] = w.get("kind", "available")
        data[f"aw-{i}-strength"] = w.get("strength", "must")
        if w.get("delete"):
            data[f"aw-{i}-DELETE"] = "on"
    return data


def test_front_desk_saves_windows_through_htmx_and_the_search_is_told(
    login, front_desk, make_patient
):
    patient = make_patient()
    client = login(front_desk)
    url = reverse("patient_availability", args=[patient.pk])
    edit = client.get(url, {"edit": "1"}, HTTP_HX_REQUEST="true")
    assert edit.status_code == 200 and 'name="aw-0-weekdays"' in edit.content.decode()
    saved = client.post(
        url,
        _post(
            [
                {"weekdays": [1, 3], "start": "08:00", "end": "11:00"},
                {"weekdays": [0], "kind": "unavailable", "strength": "wish"},
            ],
            preferred="09:15",
            short_notice=True,
        ),
        HTTP_HX_REQUEST="true",
    )
    assert saved.status_code == 200
    assert saved["HX-Trigger"] == "availability-changed"
    html = saved.content.decode()
    assert "Must: can come Tue, Thu 08:00-11:00" in html
    assert "Wish: cannot come Mon all day" in html and "09:15" in html
    patient.refresh_from_db()
    assert patient.preferred_minute == 555 and patient.short_notice_ok
    assert AuditEvent.objects.get(action="availability_changed").actor == front_desk


def test_a_deleted_row_is_dropped_and_an_empty_extra_row_ignored(login, front_desk, make_patient):
    patient = make_patient()
    availability.set_availability(
        patient=patient,
        windows=[{"weekdays": [2], "kind": "unavailable"}],
        preferred_minute=None,
        short_notice_ok=False,
    )
    data = _post([{"weekdays": [2], "kind": "unavailable", "delete": True}, {}])
    data["aw-1-kind"] = "available"
    data["aw-1-strength"] = "must"
    response = login(front_desk).post(reverse("patient_availability", args=[patient.pk]), data)
    assert response.status_code == 302
    assert availability.availability_for(patient).is_open


def test_a_window_ending_before_it_starts_is_shown_next_to_its_field(
    login, front_desk, make_patient
):
    patient = make_patient()
    response = login(front_desk).post(
        reverse("patient_availability", args=[patient.pk]),
        _post([{"weekdays": [1], "start": "11:00", "end": "09:00"}]),
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 400
    assert "The window ends after it starts." in response.content.decode()
    assert not patient.availability_windows.exists()


def test_a_window_without_days_is_refused(login, front_desk, make_patient):
    patient = make_patient()
    response = login(front_desk).post(
        reverse("patient_availability", args=[patient.pk]),
        _post([{"weekdays": [], "start": "08:00", "end": "10:00"}]),
    )
    assert response.status_code == 400 and "Tick at least one day." in response.content.decode()


def test_nurse_sees_the_windows_on_the_patient_page_but_cannot_edit(
    login, nurse_user, make_patient
):
    patient = make_patient()
    availability.set_availability(
        patient=patient,
        windows=[{"weekdays": [4], "start": "13:00"}],
        preferred_minute=None,
        short_notice_ok=False,
    )
    client = login(nurse_user)
    html = client.get(reverse("patient_detail", args=[patient.pk])).content.decode()
    assert "Must: can come Fri after 13:00" in html and "Edit availability" not in html
    assert client.post(reverse("patient_availability", args=[patient.pk]), {}).status_code == 403


def test_find_and_book_shows_the_card_and_searches_again_when_it_changes(
    login, front_desk, make_patient, clinic
):
    patient = make_patient()
    html = login(front_desk).get(reverse("book"), {"patient": patient.pk}).content.decode()
    assert 'id="availability-card"' in html
    assert "availability-changed from:body" in html


def test_rows_saved_before_and_posted_unchanged_are_kept(login, front_desk, make_patient):
    patient = make_patient()
    availability.set_availability(
        patient=patient,
        windows=[{"weekdays": [1, 3], "start": "08:00", "end": "11:00"}],
        preferred_minute=None,
        short_notice_ok=False,
    )
    data = _post([{"weekdays": [1, 3], "start": "08:00", "end": "11:00"}, {}])
    data["aw-INITIAL_FORMS"] = "1"
    response = login(front_desk).post(reverse("patient_availability", args=[patient.pk]), data)
    assert response.status_code == 302
    assert availability.windows_json(patient)[0]["weekdays"] == [1, 3]
