"""Managers keep the LOINC map in admin and replay inbound messages that were not applied."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.management import call_command
from django.utils import timezone

from interop import inbound
from interop.models import InboundMessage, LoincMapping
from patients.models import LabResult
from scheduling.models import LabTest
from tests.conftest import DEMO_PASSWORD, TZ
from tests.interop.conftest import oru

pytestmark = pytest.mark.django_db


@pytest.fixture
def manager_client(client, make_staff, loinc_map):
    user = make_staff("manager")
    client.login(username=user.username, password=DEMO_PASSWORD)
    return client


def test_the_seeded_map_covers_the_catalogue_lab_tests(loinc_map):
    mapped = set(
        LoincMapping.objects.exclude(lab_test=None).values_list("lab_test__code", flat=True)
    )
    labs = set(LabTest.objects.values_list("code", flat=True))
    # Every catalogue test that is a lab or imaging result; the skin exam is a clinic exam.
    assert labs - mapped == {"skin_exam"}
    assert LoincMapping.objects.get(code="5196-1").lab_test.code == "hbv_screening"


def test_load_loinc_map_restores_a_deleted_mapping_and_keeps_edits(loinc_map):
    LoincMapping.objects.filter(code="2160-0").delete()
    edited = LoincMapping.objects.get(code="3016-3")
    edited.display = "TSH (our lab)"
    edited.save()
    call_command("load_loinc_map", verbosity=0)
    assert LoincMapping.objects.filter(code="2160-0").exists()
    assert LoincMapping.objects.get(code="3016-3").display == "TSH (our lab)"
    call_command("load_loinc_map", "--update", verbosity=0)
    assert LoincMapping.objects.get(code="3016-3").display != "TSH (our lab)"


def test_admin_pages_for_the_map_and_the_messages(manager_client):
    inbound.receive(b"garbage")
    for url in (
        "/admin/interop/loincmapping/",
        f"/admin/interop/loincmapping/{LoincMapping.objects.first().pk}/change/",
        "/admin/interop/inboundmessage/",
        f"/admin/interop/inboundmessage/{InboundMessage.objects.get().pk}/change/",
    ):
        assert manager_client.get(url).status_code == 200, url
    assert manager_client.get("/admin/interop/inboundmessage/add/").status_code == 403


def test_replay_from_admin_applies_a_message_once_its_code_is_mapped(manager_client, make_patient):
    patient = make_patient(mrn="ADM-1")
    drawn = dt.datetime.combine(timezone.now().astimezone(TZ).date(), dt.time(7), tzinfo=TZ)
    message = oru("ADM1", "ADM-1", [("LOCAL-TSH", "TSH", "2.1", "N", "F")], collected=drawn)
    assert inbound.receive(message.encode()).ack_code == "AE"
    row = InboundMessage.objects.get(control_id="ADM1")

    manager_client.post(
        "/admin/interop/loincmapping/add/",
        {
            "code": "LOCAL-TSH",
            "coding_system": "LN",
            "display": "Our TSH",
            "lab_test": LabTest.objects.get(code="tsh").pk,
            "active": "on",
            "notes": "",
        },
    )
    assert LoincMapping.objects.filter(code="LOCAL-TSH").exists()
    response = manager_client.post(
        "/admin/interop/inboundmessage/",
        {"action": "replay", "_selected_action": [row.pk]},
        follow=True,
    )
    assert response.status_code == 200
    row.refresh_from_db()
    assert row.outcome == "applied" and row.replays == 1
    assert LabResult.objects.get(patient=patient).lab_test.code == "tsh"
    # Replaying it again applies nothing more.
    manager_client.post(
        "/admin/interop/inboundmessage/", {"action": "replay", "_selected_action": [row.pk]}
    )
    row.refresh_from_db()
    assert row.replays == 1 and LabResult.objects.count() == 1


def test_front_desk_cannot_open_the_interfaces_admin(client, make_staff, loinc_map):
    user = make_staff("front_desk")
    client.login(username=user.username, password=DEMO_PASSWORD)
    assert client.get("/admin/interop/inboundmessage/").status_code in (302, 403)
