"""The front desk records when a patient can come; every change is audited."""

import datetime as dt

import pytest

from patients import availability
from scheduling.exceptions import SchedulingError
from scheduling.models import AuditEvent

pytestmark = [pytest.mark.django_db, pytest.mark.postgres]

TUE_THU_MORNINGS = {
    "weekdays": [1, 3],
    "start": "08:00",
    "end": "11:00",
    "kind": "available",
    "strength": "must",
}
NOT_MONDAYS = {"weekdays": [0], "kind": "unavailable", "strength": "wish"}


def test_windows_are_stored_and_read_back_as_the_engine_sees_them(make_patient, make_staff):
    patient = make_patient()
    desk = make_staff("front_desk")
    availability.set_availability(
        patient=patient,
        windows=[TUE_THU_MORNINGS, NOT_MONDAYS],
        preferred_minute=9 * 60 + 30,
        short_notice_ok=True,
        by=desk,
    )
    seen = availability.availability_for(patient)
    assert seen.preferred_minute == 570 and seen.short_notice_ok
    tue = dt.datetime(2026, 12, 8, 8, 30)  # a Tuesday
    assert seen.allows(tue, tue + dt.timedelta(hours=2))
    assert not seen.allows(tue, tue + dt.timedelta(hours=3))  # leaves after 11:00
    assert not seen.allows(tue + dt.timedelta(days=1), tue + dt.timedelta(days=1, hours=1))
    assert availability.windows_json(patient) == [
        TUE_THU_MORNINGS,
        {
            "weekdays": [0],
            "start": "00:00",
            "end": "24:00",
            "kind": "unavailable",
            "strength": "wish",
        },
    ]
    event = AuditEvent.objects.get(action="availability_changed")
    assert event.actor == desk and event.session is None
    assert event.before["windows"] == [] and len(event.after["windows"]) == 2
    assert event.after["preferred_minute"] == 570


def test_saving_the_same_availability_again_writes_no_second_audit_row(make_patient):
    patient = make_patient()
    for _ in range(2):
        availability.set_availability(
            patient=patient, windows=[NOT_MONDAYS], preferred_minute=None, short_notice_ok=False
        )
    assert AuditEvent.objects.filter(action="availability_changed").count() == 1


def test_replacing_windows_removes_the_old_ones(make_patient):
    patient = make_patient()
    availability.set_availability(
        patient=patient, windows=[TUE_THU_MORNINGS], preferred_minute=None, short_notice_ok=False
    )
    availability.set_availability(
        patient=patient, windows=[], preferred_minute=600, short_notice_ok=False
    )
    assert availability.availability_for(patient).is_open
    patient.refresh_from_db()
    assert patient.preferred_hour == 10


@pytest.mark.parametrize(
    "bad",
    [
        {"weekdays": [7]},
        {"weekdays": []},
        {"weekdays": [1], "start": "11:00", "end": "09:00"},
        {"weekdays": [1], "kind": "sometimes"},
        {"weekdays": [1], "strength": "maybe"},
        "mornings",
    ],
)
def test_a_window_that_cannot_be_honoured_is_a_400_and_changes_nothing(make_patient, bad):
    patient = make_patient()
    availability.set_availability(
        patient=patient, windows=[NOT_MONDAYS], preferred_minute=None, short_notice_ok=False
    )
    with pytest.raises(SchedulingError) as info:
        availability.set_availability(
            patient=patient,
            windows=[TUE_THU_MORNINGS, bad],
            preferred_minute=None,
            short_notice_ok=False,
        )
    assert info.value.field == "windows" and "Window 2" in str(info.value)
    assert availability.windows_json(patient)[0]["kind"] == "unavailable"


def test_availability_map_reads_many_patients_in_two_queries(
    make_patient, django_assert_num_queries
):
    patients = [make_patient() for _ in range(5)]
    for p in patients[:3]:
        availability.set_availability(
            patient=p, windows=[TUE_THU_MORNINGS], preferred_minute=480, short_notice_ok=False
        )
    with django_assert_num_queries(2):
        seen = availability.availability_map(p.pk for p in patients)
    assert [seen[p.pk].is_open for p in patients] == [False, False, False, True, True]
    assert seen[patients[0].pk].preferred_minute == 480


def test_the_old_preferred_hour_is_carried_as_minutes(make_patient):
    patient = make_patient(preferred_hour=13)
    patient.refresh_from_db()
    assert patient.preferred_minute == 13 * 60 and patient.preferred_time_label == "13:00"
