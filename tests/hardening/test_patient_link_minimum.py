"""Patient links show the minimum necessary: date, time, place and what to do, in words that
name neither the diagnosis nor the drug; and they stop working a set time after the visit."""

import datetime as dt

import pytest
import time_machine
from django.test import override_settings

from patients import links
from scheduling import services
from tests.conftest import at

pytestmark = pytest.mark.django_db

REVEALING = ["MS ", "Tysabri", "natalizumab", "JCV", "TOUCH", "REMS", "sclerosis", "Neuro"]


@pytest.fixture
def tysabri_visit(clinic, clinic_day, make_patient):
    center = clinic["center"]
    center.name = "Riverside MS Infusion Center"
    center.save()
    return services.book_session(
        patient=make_patient(),
        protocol=clinic["protocols"]["natalizumab"],
        dose_number=1,
        start=at(clinic_day, 9),
    )


def page(client, session, action):
    return client.get(links.path_for(session.pk, action))


def test_link_pages_name_no_diagnosis_and_no_drug(client, tysabri_visit):
    for action in (links.MANAGE, links.CHECKLIST, links.CONFIRM, links.CANCEL):
        response = page(client, tysabri_visit, action)
        assert response.status_code == 200, action
        html = response.content.decode()
        for word in REVEALING:
            assert word not in html, (action, word)
        assert "Riverside Infusion Center" in html


def test_checklist_uses_the_patient_facing_words(client, tysabri_visit):
    html = page(client, tysabri_visit, links.CHECKLIST).content.decode()
    assert "Blood test for a virus antibody" in html
    assert "safety questionnaire" in html  # the REMS step, in plain words


def test_patient_facing_center_name_setting_wins(client, tysabri_visit):
    with override_settings(PATIENT_FACING_CENTER_NAME="Riverside Day Clinic"):
        html = page(client, tysabri_visit, links.MANAGE).content.decode()
    assert "Riverside Day Clinic" in html


def test_links_expire_a_set_time_after_the_visit(client, tysabri_visit, clinic_day):
    path = links.path_for(tysabri_visit.pk, links.MANAGE)
    with override_settings(PATIENT_LINK_HOURS_AFTER_VISIT=24):
        with time_machine.travel(at(clinic_day, 9) + dt.timedelta(hours=23)):
            assert client.get(path).status_code == 200
        with time_machine.travel(at(clinic_day, 9) + dt.timedelta(hours=25)):
            response = client.get(path)
            assert response.status_code == 410
            assert b"expired" in response.content


def test_links_expire_at_most_n_days_after_sending(client, tysabri_visit, clinic_day):
    # The visit is far ahead, but the link was sent long ago: the signature's age limit holds.
    tysabri_visit.start = at(clinic_day + dt.timedelta(days=60), 9)
    with override_settings(PATIENT_LINK_MAX_AGE_DAYS=30):
        path = links.path_for(tysabri_visit.pk, links.MANAGE)
        with time_machine.travel(dt.datetime.now(dt.UTC) + dt.timedelta(days=31)):
            assert client.get(path).status_code == 410
