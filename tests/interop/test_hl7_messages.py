"""What each HL7 v2 message does, in process (interop.inbound.receive): AA/AE/AR and why."""

from __future__ import annotations

import datetime as dt

import hl7
import pytest
from django.utils import timezone

from interop import inbound
from interop.models import InboundMessage, LoincMapping
from patients.models import LabResult, Patient
from scheduling.models import AuditEvent, LabTest
from tests.conftest import TZ
from tests.interop.conftest import adt, oru

pytestmark = pytest.mark.django_db

HBSAG = ("5196-1", "HBsAg", "Nonreactive", "N", "F")


def drawn(days_ago: int = 0) -> dt.datetime:
    day = timezone.now().astimezone(TZ).date() - dt.timedelta(days=days_ago)
    return dt.datetime.combine(day, dt.time(7, 45), tzinfo=TZ)


def ack_segments(answer) -> dict[str, list[str]]:
    message = hl7.parse(answer.ack)
    return {str(seg[0]): [str(f) for f in seg] for seg in message}


def test_unknown_patient_is_ae_and_stored_for_replay(loinc_map):
    answer = inbound.receive(oru("L1", "NOBODY", [HBSAG], collected=drawn()).encode())
    assert answer.ack_code == "AE"
    assert "Unknown patient" in answer.text
    segments = ack_segments(answer)
    assert segments["MSA"][1:3] == ["AE", "L1"]
    assert segments["ERR"][3].startswith("204")
    row = InboundMessage.objects.get(control_id="L1")
    assert row.outcome == "error" and row.ack_code == "AE"
    assert LabResult.objects.count() == 0

    # The patient is registered later; a manager replays the message from admin.
    inbound.receive(adt("A1", "NOBODY").encode())
    assert "1 result(s)" in inbound.replay(row)
    row.refresh_from_db()
    assert row.outcome == "applied" and row.replays == 1
    assert LabResult.objects.filter(patient__mrn="NOBODY").count() == 1
    # Replaying an applied message applies nothing.
    assert "not applied again" in inbound.replay(row)
    assert LabResult.objects.count() == 1


def test_unmapped_test_is_ae_and_nothing_of_the_message_is_applied(loinc_map, make_patient):
    make_patient(mrn="M2")
    message = oru(
        "L2",
        "M2",
        [HBSAG, ("99999-9", "Local thing", "5", "", "F")],
        collected=drawn(),
        panel=("77777-7", "Unknown panel"),
    )
    answer = inbound.receive(message.encode())
    assert answer.ack_code == "AE"
    assert "Unmapped test: 99999-9" in answer.text
    assert ack_segments(answer)["ERR"][3].startswith("103")
    assert LabResult.objects.count() == 0

    # A manager maps the local code in admin and replays.
    LoincMapping.objects.create(
        code="99999-9", lab_test=LabTest.objects.get(code="tsh"), display="Local TSH"
    )
    inbound.replay(InboundMessage.objects.get(control_id="L2"))
    assert set(LabResult.objects.values_list("lab_test__code", flat=True)) == {
        "hbv_screening",
        "tsh",
    }


def test_a_component_under_a_mapped_panel_counts_for_the_panel(loinc_map, make_patient):
    patient = make_patient(mrn="M3")
    message = oru(
        "L3",
        "M3",
        [("718-7", "Hgb", "13.1", "N", "F"), ("12345-6", "Odd component", "1", "L", "F")],
        collected=drawn(),
        panel=("58410-2", "CBC"),
    )
    answer = inbound.receive(message.encode())
    assert answer.ack_code == "AA", answer.text
    result = LabResult.objects.get(patient=patient)
    assert result.lab_test.code == "cbc" and result.flag == "abnormal"
    assert result.value == ""  # a component's value is not the panel's


def test_preliminary_is_pending_then_final_updates_the_same_result(loinc_map, make_patient):
    patient = make_patient(mrn="M4")
    prelim = oru("L4a", "M4", [("5196-1", "HBsAg", "", "", "P")], collected=drawn(2))
    assert inbound.receive(prelim.encode()).ack_code == "AA"
    result = LabResult.objects.get(patient=patient)
    assert result.status == "ordered" and result.resulted_on is None
    final = oru("L4b", "M4", [HBSAG], collected=drawn(2))
    assert inbound.receive(final.encode()).ack_code == "AA"
    result.refresh_from_db()
    assert result.status == "resulted" and result.resulted_on >= result.collected_on
    # A late preliminary never turns the final result back to pending.
    late = oru("L4c", "M4", [("5196-1", "HBsAg", "", "", "P")], collected=drawn(2))
    assert inbound.receive(late.encode()).ack_code == "AA"
    result.refresh_from_db()
    assert result.status == "resulted"
    assert LabResult.objects.filter(patient=patient).count() == 1


def test_results_that_cannot_be_obtained_are_not_recorded(loinc_map, make_patient):
    make_patient(mrn="M5")
    message = oru("L5", "M5", [("5196-1", "HBsAg", "", "", "X")], collected=drawn())
    answer = inbound.receive(message.encode())
    assert answer.ack_code == "AA" and "not obtained" in answer.text
    assert LabResult.objects.count() == 0


def test_a_deleted_result_status_is_ae(loinc_map, make_patient):
    make_patient(mrn="M6")
    answer = inbound.receive(
        oru("L6", "M6", [("5196-1", "HBsAg", "", "", "D")], collected=drawn()).encode()
    )
    assert answer.ack_code == "AE" and "OBX-11" in answer.text


def test_a_collection_time_in_the_future_is_ae(loinc_map, make_patient):
    make_patient(mrn="M7")
    future = drawn() + dt.timedelta(days=5)
    answer = inbound.receive(oru("L7", "M7", [HBSAG], collected=future).encode())
    assert answer.ack_code == "AE" and "future" in answer.text


def test_adt_a08_updates_only_what_it_carries(loinc_map, make_patient):
    patient = make_patient(mrn="M8", email="old@example.org", mobile="+16175550100")
    answer = inbound.receive(
        adt("A8", "M8", event="A08", family="Newname", phone="", email="").encode()
    )
    assert answer.ack_code == "AA", answer.text
    patient.refresh_from_db()
    assert patient.last_name == "Newname"
    assert patient.email == "old@example.org" and patient.mobile == "+16175550100"
    audit = AuditEvent.objects.get(action="patient_updated")
    assert audit.before["last_name"] != "Newname" and audit.after["last_name"] == "Newname"


def test_adt_explicit_null_clears_contact_details(make_patient):
    patient = make_patient(mrn="M9")
    message = adt("A9", "M9", event="A31", phone="", email="").replace("01101||\r", '01101||""\r')
    assert '|""' in message
    assert inbound.receive(message.encode()).ack_code == "AA"
    patient.refresh_from_db()
    assert patient.email == "" and patient.mobile == ""


def test_adt_without_date_of_birth_for_a_new_patient_is_ae(db):
    answer = inbound.receive(adt("A10", "M10", born="").encode())
    assert answer.ack_code == "AE" and "date of birth" in answer.text
    assert not Patient.objects.filter(mrn="M10").exists()


def test_adt_with_a_bad_phone_number_is_ae(db):
    answer = inbound.receive(adt("A11", "M11", phone="12").encode())
    assert answer.ack_code == "AE" and "phone number" in answer.text


def test_unsupported_message_types_are_ar(db):
    message = adt("S1", "M12").replace("ADT^A04^ADT_A01", "SIU^S12")
    answer = inbound.receive(message.encode())
    assert answer.ack_code == "AR" and "SIU^S12 is not supported" in answer.text
    assert ack_segments(answer)["ERR"][3].startswith("200")
    assert InboundMessage.objects.get(control_id="S1").outcome == "rejected"


def test_ack_echoes_control_id_and_swaps_sender_and_receiver(db):
    answer = inbound.receive(adt("A13", "M13").encode())
    message = hl7.parse(answer.ack)
    assert str(message.segment("MSH")(5)) == "ADT"  # receiving app = the original sender
    assert str(message.segment("MSA")(2)) == "A13"
    assert str(message.segment("MSH")(10)) != "A13"


def test_lf_segment_separators_are_accepted(db):
    message = adt("A14", "M14").replace("\r", "\n")
    assert inbound.receive(message.encode()).ack_code == "AA"
    assert Patient.objects.filter(mrn="M14").exists()
