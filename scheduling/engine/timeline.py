"""Session phase times computed from a start instant and a dose timing."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from .types import DoseTiming, Timeline


def build_timeline(start: datetime, timing: DoseTiming, turnover_minutes: int) -> Timeline:
    """start = arrival = premed start; infusion after the premed lead, then observation, then
    the chair is released after turnover. Arithmetic is done on absolute time (UTC) so a
    session spanning a DST change keeps its real durations; results keep start's tzinfo.
    Note: Python compares/subtracts two datetimes sharing one tzinfo by wall clock (fold
    ignored), so compare instants in UTC (the engine uses epoch seconds internally)."""
    if start.tzinfo is None:
        raise ValueError("build_timeline needs a timezone-aware start")
    tz = start.tzinfo
    s = start.astimezone(UTC)
    inf_start = s + timedelta(minutes=timing.premed_lead_minutes)
    inf_end = inf_start + timedelta(minutes=timing.infusion_minutes)
    obs_end = inf_end + timedelta(minutes=timing.observation_minutes)
    release = obs_end + timedelta(minutes=turnover_minutes)
    return Timeline(
        start=start,
        premed_start=start,
        infusion_start=inf_start.astimezone(tz),
        infusion_end=inf_end.astimezone(tz),
        observation_end=obs_end.astimezone(tz),
        chair_release_at=release.astimezone(tz),
    )


def session_minutes(timing: DoseTiming) -> int:
    """Minutes the patient and nurse are busy: [start, observation_end)."""
    return timing.premed_lead_minutes + timing.infusion_minutes + timing.observation_minutes
