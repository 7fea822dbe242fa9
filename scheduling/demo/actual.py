"""What really happened on a demo day: late arrivals, chair waits, drug waits (pharmacy mixing
takes longer for the long antibody infusions), rate slow-downs and overruns, the odd reaction.

`actual_times` draws the five actual instants for one session (minutes from the planned
start). `live` charts the ones that have happened by now through the lifecycle services
(check_in, seat, the REMS check, start_infusion, end_infusion, complete, with `at=`), as the
front desk and the nurses would have: today's sessions. `stamp` writes the same fields in bulk
for the ninety days of history, which would take minutes one service call at a time.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

# Mean pharmacy/drug wait once seated, by protocol (minutes): the drug is mixed on arrival.
DRUG_WAIT = {
    "ocrelizumab_iv": 15,
    "ublituximab": 13,
    "alemtuzumab": 14,
    "mitoxantrone": 12,
    "natalizumab": 6,
    "natalizumab_sztn": 6,
    "ocrelizumab_hyaluronidase_sc": 6,
    "methylprednisolone_relapse": 5,
}


@dataclass
class Actual:
    arrived: int
    seated: int
    started: int  # infusion started
    ended: int  # infusion ended
    discharged: int


def actual_times(rng, *, code: str, premed: int, infusion: int, observation: int) -> Actual:
    """Minutes from the planned start. Most arrive a few minutes early; about one in eight is
    late (up to 45 minutes); the chair is usually ready; the drug wait is a skewed draw around
    the protocol's mean; infusions run a little long, and about one in twenty slows down for
    a reaction."""
    if rng.random() < 0.12:
        arrived = rng.randint(10, 45)
    else:
        arrived = int(rng.gauss(-10, 5))
    chair_wait = rng.choice((0, 1, 2, 3, 4, 5, 6, 8, 12)) if rng.random() < 0.93 else 30
    # Early patients wait for their slot (the chair is being turned over), late ones are
    # seated as soon as they arrive and the chair is ready.
    seated = max(arrived, -8) + chair_wait
    mean = DRUG_WAIT.get(code, 10)
    drug_wait = int(rng.lognormvariate(0, 0.6) * mean * 0.85)
    started = seated + premed + drug_wait
    stretch = rng.gauss(1.04, 0.05)
    if rng.random() < 0.05:
        stretch += rng.uniform(0.25, 0.6)  # infusion reaction: rate slowed
    ended = started + max(int(infusion * stretch), 5)
    discharged = ended + observation + rng.randint(2, 12)
    return Actual(arrived, seated, started, ended, discharged)


def stamp(session, actual: Actual, *, now: dt.datetime, by_desk, by_nurse) -> str:
    """Write the actual times that have happened by `now` and the status they mean:
    completed, in the chair (infusion started), checked in (arrived, maybe seated), or still
    booked (not arrived yet: a late arrival on the board). Returns the status."""
    start = session.start

    def t(minutes):
        return start + dt.timedelta(minutes=minutes)

    fields = (
        ("checked_in_at", "checked_in_by", actual.arrived, by_desk),
        ("in_chair_at", "in_chair_by", actual.seated, by_nurse),
        ("started_at", "started_by", actual.started, by_nurse),
        ("infusion_ended_at", "infusion_ended_by", actual.ended, by_nurse),
        ("completed_at", "completed_by", actual.discharged, by_nurse),
    )
    reached = 0
    for at_field, by_field, minutes, who in fields:
        if t(minutes) > now:
            break
        setattr(session, at_field, t(minutes))
        setattr(session, by_field, who)
        reached += 1
    status = {0: session.status, 1: "checked_in", 2: "in_chair", 3: "in_chair", 4: "in_chair"}
    session.status = status.get(reached, "completed")
    if session.status in ("in_chair", "completed"):
        session.rems_checked_at = session.rems_checked_at or (
            t(actual.seated) if session.protocol.rems_program else None
        )
        if session.protocol.rems_program:
            session.rems_checked_by = by_nurse
    return session.status


# A nurse starting an infusion with a red each-dose lab says why (the service asks for it).
LAB_ACKNOWLEDGEMENT = "Result confirmed by phone with the lab before starting."


def live(session, actual: Actual, *, now: dt.datetime, by_desk, by_nurse) -> str:
    """Chart today's steps that have happened by `now` through the lifecycle services (each
    with its actual time as `at=`). Returns the status the session ends in."""
    from scheduling import services

    start = session.start

    def t(minutes):
        return start + dt.timedelta(minutes=minutes)

    if t(actual.arrived) > now:
        return session.status
    session = services.check_in(session=session, by=by_desk, at=t(actual.arrived))
    if t(actual.seated) > now:
        return session.status
    session = services.seat(session=session, by=by_nurse, at=t(actual.seated))
    if session.protocol.needs_rems:
        session = services.record_rems_check(session=session, by=by_nurse, at=t(actual.seated))
    if t(actual.started) > now:
        return session.status
    session = services.start_infusion(
        session=session,
        by=by_nurse,
        at=t(actual.started),
        lab_acknowledgement=LAB_ACKNOWLEDGEMENT,
    )
    if t(actual.ended) > now:
        return session.status
    session = services.end_infusion(session=session, by=by_nurse, at=t(actual.ended))
    if t(actual.discharged) > now:
        return session.status
    return services.complete(session=session, by=by_nurse, at=t(actual.discharged)).status
