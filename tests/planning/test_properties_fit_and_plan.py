"""Property: whatever the day looks like, what fit-me-in and the planner store keeps every
rule of DESIGN §4, and fit-me-in never moves a patient's time unless the coordinator allowed
it. Hypothesis draws busy days through the real services on the real database; the
independent checker (tests/engine/invariants.py) walks the stored sessions afterwards."""

import datetime as dt

import pytest
from django.db import transaction
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from patients import availability
from scheduling import services
from scheduling.models import ACTIVE_STATUSES, Chair, InfusionSession, Nurse
from scheduling.planning.fit import propose_fit
from scheduling.services.fitmein import apply_fit
from tests.conftest import at
from tests.planning.conftest import stored_schedule_problems

pytestmark = [pytest.mark.django_db, pytest.mark.postgres]

# Mostly 2-hour visits scattered over the day: fragmented chairs, where repacking helps.
CODES = ["natalizumab", "natalizumab", "natalizumab", "ocrelizumab_iv"]
booking = st.tuples(st.sampled_from(CODES), st.integers(0, 40), st.integers(0, 5))
days = st.lists(booking, min_size=5, max_size=12)
needs = st.tuples(
    st.sampled_from(["ocrelizumab_iv", "ublituximab"]),  # 4-5 h: hard to fit
    st.integers(0, 16),  # earliest arrival, 15-minute steps from 07:00
    st.booleans(),  # the coordinator allows small time shifts
)


@settings(
    max_examples=15,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(day=days, need=needs)
def test_fit_me_in_keeps_every_rule_and_moves_times_only_when_allowed(
    clinic, clinic_day, make_patient, day, need
):
    with transaction.atomic():
        # Three chairs in service make a full day likely.
        keep = [c.pk for c in clinic["chairs"][:3]]
        Chair.objects.exclude(pk__in=keep).update(active=False)
        for code, slot, chair in day:
            try:
                services.book_session(
                    patient=make_patient(),
                    protocol=clinic["protocols"][code],
                    dose_number=1,
                    start=at(clinic_day, 7) + dt.timedelta(minutes=15 * slot),
                    chair=Chair.objects.get(pk=keep[chair % 3]),
                )
            except (services.BookingConflict, services.SchedulingError):
                pass
        before = {
            s.pk: (s.start, s.status)
            for s in InfusionSession.objects.filter(status__in=ACTIVE_STATUSES)
        }
        code, earliest, allow_shift = need
        patient = make_patient()
        start = 7 * 60 + 15 * earliest
        availability.set_availability(
            patient=patient,
            windows=[
                {
                    "weekdays": [clinic_day.weekday()],
                    "start": f"{start // 60:02d}:{start % 60:02d}",
                }
            ],
            preferred_minute=start,
            short_notice_ok=False,
        )
        patient.refresh_from_db()
        plan = propose_fit(
            patient=patient,
            protocol=clinic["protocols"][code],
            dose_number=1,
            day=clinic_day,
            allow_shift=allow_shift,
            time_limit=2.0,
        )
        event("fits" if plan else "no room")
        if plan is not None:
            if not allow_shift:
                assert plan.time_changes == 0
            p = plan.placement
            apply_fit(
                patient=patient,
                protocol=clinic["protocols"][code],
                dose_number=1,
                start=p.timeline.start,
                chair=Chair.objects.get(pk=p.chair_id),
                nurse=Nurse.objects.get(pk=p.nurse_id),
                moves=[m.move for m in plan.moves],
                allow_shift=allow_shift,
            )
            event(f"{len(plan.moves)} moves, {plan.time_changes} time changes")
        after = {
            s.pk: (s.start, s.status) for s in InfusionSession.objects.filter(pk__in=list(before))
        }
        limit = dt.timedelta(minutes=clinic["center"].fitmein_max_shift_minutes)
        for pk, (was, status) in before.items():
            now_start, now_status = after[pk]
            assert now_status == status
            if not allow_shift:
                assert now_start == was, "fit-me-in moved a time without the flag"
            else:
                assert abs(now_start - was) <= limit
        assert stored_schedule_problems(clinic_day, clinic_day) == []
        transaction.set_rollback(True)
