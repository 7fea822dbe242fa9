"""The audit trail writes `before` and `after` in one zone (center-local, with offsets), so a
diff of the two shows only what really changed."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from scheduling import services
from scheduling.models import AuditEvent, InfusionSession
from tests.conftest import at

pytestmark = pytest.mark.django_db

UTC = dt.UTC
TOKYO = ZoneInfo("Asia/Tokyo")


def changed(event) -> set[str]:
    return {k for k in event.after if event.before.get(k) != event.after.get(k)}


def test_cancel_changes_only_status_not_the_times(clinic, clinic_day, make_patient):
    # Booked with a start given in UTC; read back from the database later.
    start = at(clinic_day, 9).astimezone(UTC)
    session = services.book_session(
        patient=make_patient(),
        protocol=clinic["protocols"]["ocrelizumab_iv"],
        dose_number=1,
        start=start,
    )
    services.cancel(session=InfusionSession.objects.get(pk=session.pk), reason="moved away")
    event = AuditEvent.objects.filter(session=session, action="cancelled").get()
    assert event.before["start"] == event.after["start"]
    assert event.after["start"].endswith("-05:00")  # New York in December
    assert "status" in changed(event)
    assert not {"start", "chair_release_at"} & changed(event)


def test_reschedule_shows_the_move_in_the_center_zone(clinic, clinic_day, make_patient):
    session = services.book_session(
        patient=make_patient(),
        protocol=clinic["protocols"]["ocrelizumab_iv"],
        dose_number=1,
        start=at(clinic_day, 9),
    )
    # The new time arrives in another zone (an integration in Tokyo, say).
    new_start = at(clinic_day, 11).astimezone(TOKYO)
    services.reschedule(session=InfusionSession.objects.get(pk=session.pk), start=new_start)
    event = AuditEvent.objects.filter(session=session, action="rescheduled").get()
    assert event.before["start"] == at(clinic_day, 9).isoformat()
    assert event.after["start"] == at(clinic_day, 11).isoformat()
    for side in (event.before, event.after):
        for key, value in side.items():
            if isinstance(value, str) and "T" in value and value[:4].isdigit():
                assert value.endswith("-05:00"), (key, value)
