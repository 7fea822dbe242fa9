"""Property: whatever coordinators do (book, move, cancel, in any order, with or without a
chosen chair or nurse), the stored schedule satisfies every rule of DESIGN §4.

Hypothesis drives random streams of requests through the real services on the real database;
after each stream an independent checker (tests/engine/invariants.py, which does not use the
engine's constraint code) walks the stored sessions at 5-minute resolution.
"""

import datetime as dt

import pytest
from django.db import transaction
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from scheduling import services
from scheduling.models import ACTIVE_STATUSES, InfusionSession
from scheduling.world import load_world
from tests.conftest import at
from tests.engine.invariants import Rec, check_schedule

pytestmark = pytest.mark.django_db

CODES = [
    "ocrelizumab_iv",
    "natalizumab",
    "ublituximab",
    "alemtuzumab",
    "mitoxantrone",
    "methylprednisolone_relapse",
]

book = st.tuples(
    st.just("book"),
    st.integers(0, 7),  # patient
    st.sampled_from(CODES),
    st.integers(0, 1),  # day: two busy days make clashes likely
    st.integers(0, 24),  # 15-minute slot from 07:00
    st.one_of(st.none(), st.integers(0, 7)),  # chosen chair
    st.one_of(st.none(), st.integers(0, 3)),  # chosen nurse
)
move = st.tuples(
    st.just("move"),
    st.integers(0, 50),
    st.integers(0, 4),
    st.integers(0, 44),
    st.one_of(st.none(), st.integers(0, 7)),
)
cancel = st.tuples(st.just("cancel"), st.integers(0, 50))
series = st.tuples(
    st.just("series"),
    st.integers(0, 7),
    st.sampled_from(["ocrelizumab_iv", "alemtuzumab"]),
    st.integers(0, 4),
    st.integers(0, 44),
)
streams = st.lists(st.one_of(book, book, book, move, cancel, series), min_size=1, max_size=14)


def _check_db_schedule(days):
    world = load_world(date_from=days[0], date_to=days[-1] + dt.timedelta(days=20))
    recs = [
        Rec(
            s.pk,
            s.patient_id,
            s.chair_id,
            s.nurse_id,
            s.start,
            s.observation_end,
            s.chair_release_at,
            s.protocol.required_skill or None,
            s.protocol.required_chair_kind or None,
        )
        for s in InfusionSession.objects.filter(status__in=ACTIVE_STATUSES).select_related(
            "protocol"
        )
    ]
    problems = check_schedule(world.center, world.chairs, world.nurses, recs)
    # One active dose N per patient and protocol, numbered without gaps.
    seen = {}
    for s in InfusionSession.objects.filter(
        status__in=ACTIVE_STATUSES, protocol__courses_as_needed=False
    ):
        key = (s.patient_id, s.protocol_id, s.dose_number)
        if key in seen:
            problems.append(f"dose: {key} booked twice")
        seen[key] = s.pk
    return problems


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(ops=streams)
def test_any_stream_of_requests_leaves_a_valid_schedule(clinic, clinic_day, make_patient, ops):
    days = [clinic_day + dt.timedelta(days=i) for i in range(5)]
    with transaction.atomic():
        patients = [make_patient() for _ in range(8)]
        chairs, nurses, protocols = clinic["chairs"], clinic["nurses"], clinic["protocols"]
        outcomes = []
        for op in ops:
            sessions = list(
                InfusionSession.objects.filter(status__in=ACTIVE_STATUSES).order_by("pk")
            )
            try:
                if op[0] == "book":
                    _, p, code, d, slot, chair, nurse = op
                    patient, protocol = patients[p], protocols[code]
                    services.book_session(
                        patient=patient,
                        protocol=protocol,
                        dose_number=services.expected_next_dose(patient, protocol),
                        start=at(days[d], 7) + dt.timedelta(minutes=15 * slot),
                        chair=chairs[chair] if chair is not None else None,
                        nurse=nurses[nurse] if nurse is not None else None,
                        override_reason="property test",
                    )
                elif op[0] == "series":
                    _, p, code, d, slot = op
                    services.book_series(
                        patient=patients[p],
                        protocol=protocols[code],
                        start=at(days[d], 7) + dt.timedelta(minutes=15 * slot),
                        override_reason="property test",
                    )
                elif op[0] == "move" and sessions:
                    _, i, d, slot, chair = op
                    services.reschedule(
                        session=sessions[i % len(sessions)],
                        start=at(days[d], 7) + dt.timedelta(minutes=15 * slot),
                        chair=chairs[chair] if chair is not None else None,
                    )
                elif op[0] == "cancel" and sessions:
                    services.cancel(session=sessions[op[1] % len(sessions)], reason="property test")
                outcomes.append("ok")
            except (services.BookingConflict, services.SchedulingError) as exc:
                outcomes.append(type(exc).__name__)
        for outcome in outcomes:
            event(outcome)  # --hypothesis-show-statistics shows how many requests were booked
        problems = _check_db_schedule(days)
        assert problems == [], (ops, outcomes, problems)
        transaction.set_rollback(True)
