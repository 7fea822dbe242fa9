"""The MLLP listener as a real process, spoken to with python-hl7's MLLP client.

ADT registers a patient; an ORU turns a red lab green and skips the pending checklist
reminder; a repeated control id is acknowledged and not applied twice; garbage gets AR and the
listener keeps serving; 200 messages from 4 clients at once are all acknowledged, applied once.
"""

from __future__ import annotations

import datetime as dt
import threading
import time

import pytest
from django.utils import timezone

from interop.models import InboundMessage
from patients.models import LabResult, Patient
from scheduling import selectors, services
from scheduling.models import AuditEvent, Reminder
from tests.conftest import TZ, at
from tests.interop.conftest import EB, SB, ack_of, adt, oru, send

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

HBSAG = ("5196-1", "HBsAg", "Nonreactive", "N", "F")
ANTI_HBC = ("16933-4", "Anti-HBc", "Nonreactive", "N", "F")
LFTS_AND_IGS = [
    ("1742-6", "ALT", "48", "H", "F"),
    ("1920-8", "AST", "30", "N", "F"),
    ("6768-6", "ALP", "80", "N", "F"),
    ("1975-2", "Bilirubin", "0.6", "N", "F"),
    ("2465-3", "IgG", "980", "N", "F"),
    ("2458-8", "IgA", "210", "N", "F"),
    ("2472-9", "IgM", "95", "N", "F"),
]


def test_adt_a04_registers_a_patient(listener):
    with listener.client() as client:
        code, control, text = ack_of(send(client, adt("ADT0001", "GH-1001")))
    assert (code, control) == ("AA", "ADT0001")
    assert "registered" in text
    patient = Patient.objects.get(mrn="GH-1001")
    assert (patient.first_name, patient.last_name) == ("Ana", "Rivera")
    assert patient.date_of_birth == dt.date(1979, 3, 14)
    assert patient.mobile == "+16175550199"
    assert patient.email == "ana.rivera@example.org"
    audit = AuditEvent.objects.get(action="patient_registered")
    assert audit.after["mrn"] == "GH-1001" and audit.actor_label == "HL7 ADT^GENERAL_HOSPITAL"
    row = InboundMessage.objects.get(control_id="ADT0001")
    assert row.outcome == "applied" and row.patient == patient and "PID|1||GH-1001" in row.raw


def test_oru_turns_red_lab_green_and_skips_the_pending_checklist_reminder(
    listener, clinic, clinic_day, make_patient
):
    patient = make_patient(mrn="GH-2002")
    session = services.book_session(
        patient=patient,
        protocol=clinic["protocols"]["ocrelizumab_iv"],
        dose_number=1,
        start=at(clinic_day, 9),
        chair=clinic["chairs"][0],
    )
    assert selectors.lab_checklist(session=session).status == "red"
    reminder = Reminder.objects.get(session=session, kind="lab_checklist")
    assert reminder.status == "pending"

    drawn = dt.datetime.combine(timezone.now().astimezone(TZ).date(), dt.time(7, 30), tzinfo=TZ)
    with listener.client() as client:
        code, _, text = ack_of(
            send(client, oru("LAB0001", "GH-2002", [HBSAG, ANTI_HBC], collected=drawn))
        )
        assert code == "AA", text
        # Hepatitis B is in; liver tests and immunoglobulins are still missing.
        checklist = selectors.lab_checklist(session=session)
        assert checklist.status == "red"
        assert {i.test_code for i in checklist.missing} == {"lfts", "immunoglobulins"}
        reminder.refresh_from_db()
        assert reminder.status == "pending"

        code, _, text = ack_of(
            send(client, oru("LAB0002", "GH-2002", LFTS_AND_IGS, collected=drawn))
        )
    assert code == "AA", text

    assert selectors.lab_checklist(session=session).status == "green"
    results = {r.lab_test.code: r for r in LabResult.objects.filter(patient=patient)}
    assert set(results) == {"hbv_screening", "lfts", "immunoglobulins"}
    assert all(r.status == "resulted" and r.collected_on == drawn.date() for r in results.values())
    assert results["hbv_screening"].flag == "normal"
    assert results["lfts"].flag == "abnormal"  # ALT flagged H: the worst flag of the panel
    reminder.refresh_from_db()
    assert reminder.status == "skipped"
    assert reminder.skip_reason == "every lab is in and current"
    assert "1 lab reminder(s) skipped" in text
    assert AuditEvent.objects.filter(action="lab_result_recorded").count() == 3


def test_a_repeated_control_id_is_acknowledged_and_not_applied_twice(
    listener, make_patient, loinc_map
):
    patient = make_patient(mrn="GH-3003")
    drawn = timezone.now().astimezone(TZ).replace(hour=7, minute=0, second=0, microsecond=0)
    message = oru("LAB0100", "GH-3003", [HBSAG], collected=drawn)
    with listener.client() as client:
        first = ack_of(send(client, message))
        # The sender lost the ACK and sends again, then once more on another connection.
        second = ack_of(send(client, message))
    with listener.client() as other:
        third = ack_of(send(other, message))
    assert [a[0] for a in (first, second, third)] == ["AA", "AA", "AA"]
    assert "Duplicate" in second[2] and "not applied again" in third[2]
    assert LabResult.objects.filter(patient=patient).count() == 1
    assert AuditEvent.objects.filter(action="lab_result_recorded").count() == 1
    row = InboundMessage.objects.get(control_id="LAB0100")
    assert row.duplicates == 2 and InboundMessage.objects.count() == 1


def test_garbage_gets_ar_and_the_listener_keeps_serving(listener, make_patient):
    with listener.client() as client:
        assert ack_of(send(client, b"this is not HL7 at all"))[0] == "AR"
        assert ack_of(send(client, b"\xff\xfe\x00\x01 binary \x1b junk"))[0] == "AR"
        assert ack_of(send(client, b"MSH|"))[0] == "AR"
        assert ack_of(send(client, "MSH|^~\\&|X|Y|||||ORU^R01||P|2.5.1\r"))[0] == "AR"  # no MSH-10
        # A block without the MLLP start byte, on the same connection.
        client.socket.sendall(b"no start block" + EB + b"\r")
        data = client.socket.recv(4096)
        assert ack_of(data)[0] == "AR"
        # Still serving on that connection.
        code, control, _ = ack_of(send(client, adt("ADT0900", "GH-9009")))
        assert (code, control) == ("AA", "ADT0900")
    # A sender that drops the connection in the middle of a message.
    with listener.client() as rude:
        rude.socket.sendall(SB + b"MSH|^~\\&|half a mess")
    # A sender that goes away without waiting for its ACK.
    with listener.client() as hasty:
        hasty.socket.sendall(SB + adt("ADT0901", "GH-9010").encode() + EB + b"\r")
    time.sleep(0.5)
    assert listener.alive
    with listener.client() as client:
        assert ack_of(send(client, adt("ADT0902", "GH-9011")))[0] == "AA"
    assert Patient.objects.filter(mrn__in=["GH-9009", "GH-9010", "GH-9011"]).count() == 3
    assert InboundMessage.objects.filter(outcome="rejected").count() == 4


def test_200_messages_from_4_clients_at_once_are_acknowledged_and_applied_once(
    listener, make_patient
):
    patients = [make_patient(mrn=f"GH-5{n:03d}") for n in range(20)]
    today = timezone.now().astimezone(TZ).date()
    messages: dict[int, list[tuple[str, str]]] = {c: [] for c in range(4)}
    expected_results = 0
    for c in range(4):
        for i in range(50):
            n = c * 50 + i
            control = f"LOAD{n:04d}"
            if i % 5 == 0:
                messages[c].append((control, adt(control, f"NEW-{n:04d}", given=f"New{n}")))
            else:
                # One result per message: its own patient and collection day.
                drawn = dt.datetime.combine(today - dt.timedelta(days=n), dt.time(8), tzinfo=TZ)
                mrn = patients[n % 20].mrn
                messages[c].append((control, oru(control, mrn, [HBSAG], collected=drawn)))
                expected_results += 1
    # Each client also resends five of another client's messages at the same time.
    resends = {c: messages[(c + 1) % 4][10:15] for c in range(4)}
    acks: dict[str, list[str]] = {}
    lock = threading.Lock()
    errors: list[BaseException] = []
    start = threading.Barrier(4)

    def run(c: int) -> None:
        try:
            with listener.client() as client:
                start.wait()
                for control, message in messages[c] + resends[c]:
                    code, acked, _ = ack_of(send(client, message))
                    with lock:
                        acks.setdefault(control, []).append(code)
                    assert acked == control
        except BaseException as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(c,)) for c in range(4)]
    began = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    elapsed = time.perf_counter() - began
    assert not errors, errors
    assert len(acks) == 200
    assert all(codes and set(codes) == {"AA"} for codes in acks.values()), acks
    assert sum(len(codes) for codes in acks.values()) == 220
    assert InboundMessage.objects.filter(outcome="applied").count() == 200
    assert sum(InboundMessage.objects.values_list("duplicates", flat=True)) == 20
    assert LabResult.objects.count() == expected_results == 160
    assert AuditEvent.objects.filter(action="lab_result_recorded").count() == 160
    assert Patient.objects.filter(mrn__startswith="NEW-").count() == 40
    assert AuditEvent.objects.filter(action="patient_registered").count() == 40
    print(f"\n220 messages (200 + 20 repeats), 4 clients: {220 / elapsed:.0f} messages/s")
