"""Find and book: patient search or create, prefilled search, ranked options, book, conflicts."""

import re

import pytest
from django.urls import reverse

from scheduling.models import InfusionSession

pytestmark = pytest.mark.django_db


def _slot_posts(html):
    """The hidden fields of each option's Book form, in rank order."""
    forms = re.findall(r'<form method="post" action="/book/">(.*?)</form>', html, re.S)
    return [dict(re.findall(r'name="([a-z_]+)" value="([^"]*)"', f)) for f in forms]


def test_patient_search_by_name_and_mrn(login, front_desk, make_patient):
    patient = make_patient(first_name="Ada", last_name="Lovelace", mrn="MRN-ADA")
    client = login(front_desk)
    for q in ("lovelace", "Ada Love", "MRN-ADA"):
        page = client.get(reverse("book"), {"q": q})
        assert page.status_code == 200
        assert f"?patient={patient.pk}" in page.content.decode(), q
    partial = client.get(reverse("book"), {"q": "nobody"}, headers={"HX-Request": "true"})
    assert (
        "<html" not in partial.content.decode() and "No patient matches" in partial.content.decode()
    )


def test_new_patient_form_shows_errors_in_place_and_then_books(login, front_desk, clinic):
    client = login(front_desk)
    bad = client.post(
        reverse("patient_new"),
        {
            "mrn": "",
            "first_name": "Grace",
            "last_name": "Hopper",
            "date_of_birth": "2150-01-01",
            "mobile": "12",
            "preferred_channel": "both",
        },
    )
    assert bad.status_code == 400
    html = bad.content.decode()
    assert "This field is required." in html
    assert "The date of birth is in the future." in html
    assert "not a valid phone number" in html or "not a phone number" in html
    ok = client.post(
        reverse("patient_new"),
        {
            "mrn": "MRN-GH",
            "first_name": "Grace",
            "last_name": "Hopper",
            "date_of_birth": "1976-12-09",
            "email": "grace@example.org",
            "mobile": "(617) 555-0199",
            "preferred_channel": "both",
            "email_consent": "on",
            "sms_consent": "on",
        },
    )
    assert ok.status_code == 302 and "/book/?patient=" in ok.url
    from patients.models import Patient

    assert Patient.objects.get(mrn="MRN-GH").mobile == "+16175550199"


def test_search_prefills_dose_and_series_and_lists_ranked_options(
    login, front_desk, clinic, make_patient, clinic_day
):
    patient = make_patient()
    page = login(front_desk).get(
        reverse("book"),
        {
            "patient": patient.pk,
            "protocol": "ocrelizumab_iv",
            "date_from": clinic_day.isoformat(),
            "date_to": clinic_day.isoformat(),
        },
    )
    assert page.status_code == 200
    html = page.content.decode()
    assert 'name="dose_number" value="1"' in html
    assert (
        'name="series" id="id_series" checked' in html
    )  # Ocrevus dose 1 books with its day-14 dose
    posts = _slot_posts(html)
    assert 1 <= len(posts) <= 8
    assert all(p["series"] == "on" for p in posts)
    assert "Book series (2 doses)" in html


def test_book_whole_series_in_one_step(login, front_desk, clinic, make_patient, clinic_day):
    patient = make_patient()
    client = login(front_desk)
    html = client.get(
        reverse("book"),
        {
            "patient": patient.pk,
            "protocol": "ocrelizumab_iv",
            "date_from": clinic_day.isoformat(),
            "date_to": clinic_day.isoformat(),
        },
    ).content.decode()
    done = client.post(reverse("book"), _slot_posts(html)[0])
    assert done.status_code == 302 and "/book/done/series/" in done.url
    sessions = list(InfusionSession.objects.filter(patient=patient).order_by("start"))
    assert [s.dose_number for s in sessions] == [1, 2]
    assert (sessions[1].start - sessions[0].start).days == 14
    confirmation = client.get(done.url).content.decode()
    assert "the whole series of 2 doses" in confirmation
    assert patient.full_name in confirmation


def test_clash_shows_plain_message_and_fresh_options(
    login, front_desk, clinic, make_patient, clinic_day
):
    first, second = make_patient(), make_patient()
    client = login(front_desk)
    params = {
        "protocol": "natalizumab",
        "date_from": clinic_day.isoformat(),
        "date_to": clinic_day.isoformat(),
        "series": "",
    }
    html_a = client.get(reverse("book"), {"patient": first.pk, **params}).content.decode()
    html_b = client.get(reverse("book"), {"patient": second.pk, **params}).content.decode()
    slot_a, slot_b = _slot_posts(html_a)[0], _slot_posts(html_b)[0]
    assert (slot_a["start"], slot_a["chair"]) == (slot_b["start"], slot_b["chair"])
    assert client.post(reverse("book"), slot_a).status_code == 302
    clash = client.post(reverse("book"), slot_b)
    assert clash.status_code == 409
    html = clash.content.decode()
    assert "That option was just taken." in html
    fresh = _slot_posts(html)
    assert fresh and all(
        (p["start"], p["chair"]) != (slot_b["start"], slot_b["chair"]) for p in fresh
    )
    assert InfusionSession.objects.filter(patient=second).count() == 0


@pytest.mark.parametrize(
    "params",
    [
        {"protocol": "nope"},
        {"protocol": "ocrelizumab_iv", "dose_number": "x"},
        {"protocol": "ocrelizumab_iv", "dose_number": "77"},
        {"protocol": "ocrelizumab_iv", "date_from": "2020-01-01"},
        {"protocol": "ocrelizumab_iv", "date_from": "bad", "date_to": "worse"},
        {"protocol": "ocrelizumab_iv", "date_from": "2030-01-01", "date_to": "2029-01-01"},
        {"protocol": "ocrelizumab_iv", "option": "fastest"},
    ],
)
def test_bad_search_params_show_errors_never_500(login, front_desk, clinic, make_patient, params):
    patient = make_patient()
    page = login(front_desk).get(reverse("book"), {"patient": patient.pk, **params})
    assert page.status_code in (200, 400)
    assert 'class="errorlist' in page.content.decode() or "No free option" in page.content.decode()


@pytest.mark.parametrize("patient", ["abc", "999999", ""])
def test_unknown_patient_goes_back_to_search(login, front_desk, clinic, patient):
    page = login(front_desk).get(reverse("book"), {"patient": patient})
    assert page.status_code == 200
    assert 'id="id_q"' in page.content.decode()


def test_bad_book_posts_never_500(login, front_desk, clinic, make_patient, clinic_day):
    patient = make_patient()
    client = login(front_desk)
    base = {
        "patient": patient.pk,
        "protocol": "ocrelizumab_iv",
        "dose_number": "1",
        "date_from": clinic_day.isoformat(),
        "date_to": clinic_day.isoformat(),
    }
    for extra in (
        {"start": "garbage"},
        {"start": "2026-01-01T10:00:00"},
        {"start": "2001-01-01T10:00:00-05:00"},
        {"start": f"{clinic_day.isoformat()}T03:00:00-05:00"},
        {"start": "x", "chair": "zz"},
        {"start": f"{clinic_day.isoformat()}T09:00:00-05:00", "dose_number": "3"},
    ):
        response = client.post(reverse("book"), {**base, **extra})
        assert response.status_code in (400, 409), extra
        assert (
            "errorlist" in response.content.decode() or "alert error" in response.content.decode()
        ), extra
    assert client.post(reverse("book"), {"patient": "nope"}).status_code == 302
    assert InfusionSession.objects.count() == 0
