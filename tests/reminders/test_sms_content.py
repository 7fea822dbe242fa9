"""Every SMS template for every protocol: no drug, diagnosis or lab names; one GSM segment."""

import re

import pytest

from scheduling.models import LabTest, Protocol, Reminder, ReminderKind
from scheduling.notifications.messages import render_sms
from scheduling.notifications.sms import gsm_length
from tests.conftest import at

pytestmark = pytest.mark.django_db

# Diagnosis and treatment words no text may carry (case-insensitive, whole words), plus "MS"
# in capitals (the word "ms" as in "5 ms" cannot appear, but we check it case-sensitively).
HEALTH_WORDS = [
    "multiple sclerosis",
    "sclerosis",
    "relapse",
    "flare",
    "lesion",
    "neurology",
    "neurologist",
    "steroid",
    "chemo",
    "chemotherapy",
    "premedication",
    "premed",
    "antibody",
    "REMS",
    "lab",
    "labs",
    "blood",
    "test",
    "tests",
    "MRI",
    "JCV",
    "PML",
    "hepatitis",
    "HBV",
    "CBC",
    "TB",
    "pregnancy",
    "thyroid",
    "urinalysis",
    "immunoglobulins",
    "dose",
    "drug",
    "medication",
    "IV",
]


def forbidden_words(protocols, lab_tests) -> set[str]:
    words = set(HEALTH_WORDS)
    for p in protocols:
        for field in (p.brand_name, p.generic_name):
            words.add(field)
            words.update(
                w
                for w in re.findall(r"[A-Za-z][A-Za-z-]{3,}", field)
                if w.lower() not in {"sodium", "with", "and", "hydrochloride"}
            )
        words.add(p.code)
        words.update(part for part in p.code.split("_") if len(part) > 3)
    for t in lab_tests:
        words.add(t.name)
        words.add(t.code)
    return words


def offending(text: str, words) -> list[str]:
    hits = [w for w in words if re.search(rf"(?<![A-Za-z]){re.escape(w)}(?![A-Za-z])", text, re.I)]
    if re.search(r"\bMS\b", text):
        hits.append("MS")
    return hits


def test_every_sms_for_every_protocol_is_minimal_and_fits_one_segment(
    clinic, clinic_day, make_patient
):
    from scheduling import services

    center = clinic["center"]
    protocols = list(Protocol.objects.all())
    assert len(protocols) == 8
    words = forbidden_words(protocols, LabTest.objects.all())
    assert "Ocrevus" in words and "natalizumab" in words and "Brain MRI" in words
    assert "MS" in center.name  # the default center name itself names the diagnosis
    rendered = 0
    for i, protocol in enumerate(protocols):
        session = services.book_session(
            patient=make_patient(),
            protocol=protocol,
            dose_number=1,
            start=at(clinic_day, 7 + i),
            nurse=next((n for n in clinic["nurses"] if protocol.required_skill in n.skills), None)
            if protocol.required_skill
            else None,
        )
        for kind in ReminderKind.values:
            reminder = Reminder(session=session, kind=kind, channel="sms", due_at=session.start)
            body = render_sms(reminder, center)
            rendered += 1
            assert offending(body, words) == [], f"{protocol.code}/{kind}: {body}"
            n = gsm_length(body)
            assert n is not None and n <= 160, f"{protocol.code}/{kind} is {n} chars: {body}"
            assert "STOP" in body
            if kind != ReminderKind.CANCELLATION:
                assert "/p/s/" in body
            assert session.patient.first_name not in body and session.patient.last_name not in body
    assert rendered == 8 * 5


def test_the_checker_catches_a_drug_name(catalogue):
    words = forbidden_words(catalogue.values(), LabTest.objects.all())
    assert offending("Riverside: your Tysabri visit Tue Dec 1", words) == ["Tysabri"]
    assert "MS" in offending("Riverside MS Center: visit Tue", words)
    assert offending("Riverside Infusion Center: your visit is Tue Dec 1 at 9:00 AM.", words) == []


def test_gsm_length_counts_extension_characters_twice_and_rejects_unicode():
    assert gsm_length("abc") == 3
    assert gsm_length("€[") == 4
    assert gsm_length("visit ✓") is None


def test_a_long_public_url_falls_back_to_the_short_wording(booked, settings, center):
    settings.PUBLIC_BASE_URL = "https://appointments.riverside-infusion-center.example.org"
    reminder = Reminder(session=booked, kind="day_before", channel="sms", due_at=booked.start)
    body = render_sms(reminder, center)
    assert gsm_length(body) <= 160
    assert body.endswith("STOP=opt out") and settings.PUBLIC_BASE_URL in body
