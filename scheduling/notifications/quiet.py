"""Quiet hours: nothing goes out between quiet_start and quiet_end on the patient's clock.

Pure functions (no database), so the dispatcher and the property tests use the same code.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

_MINUTE = dt.timedelta(minutes=1)


def is_quiet(moment: dt.datetime, tz: ZoneInfo, start: dt.time, end: dt.time) -> bool:
    """True when `moment` falls in [start, end) local time. start == end means no quiet hours;
    start > end is a window across midnight (21:00-09:00)."""
    if start == end:
        return False
    t = moment.astimezone(tz).time().replace(tzinfo=None)
    if start > end:
        return t >= start or t < end
    return start <= t < end


def next_send_time(now: dt.datetime, tz: ZoneInfo, start: dt.time, end: dt.time) -> dt.datetime:
    """`now` if a message may go out now, else the first instant after the quiet window
    (normally `end`, e.g. 09:00 local; on a DST day whose `end` does not exist, the first
    local minute after it)."""
    if not is_quiet(now, tz, start, end):
        return now
    local = now.astimezone(tz)
    day = local.date()
    if start > end and local.time().replace(tzinfo=None) >= start:
        day += dt.timedelta(days=1)
    candidate = dt.datetime.combine(day, end, tzinfo=tz)
    roundtrip = candidate.astimezone(dt.UTC).astimezone(tz)
    if roundtrip.replace(tzinfo=None) != candidate.replace(tzinfo=None):
        # `end` falls in a spring-forward gap: walk from the earlier reading to the first
        # instant that is no longer quiet (at most the length of the gap).
        probe = candidate.replace(fold=1).astimezone(dt.UTC)
        while is_quiet(probe, tz, start, end):
            probe += _MINUTE
        candidate = probe
    return max(candidate.astimezone(dt.UTC), now)
