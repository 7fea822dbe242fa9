"""Local days of the horizon and the start minutes a request may take on each."""

from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from ..constraints import from_ts, ts
from ..timeline import session_minutes
from ..types import Center
from .types import PlanRequest


class Days:
    """Local days of the horizon: opening windows and the epoch of 'noon - 12 h'."""

    def __init__(self, center: Center, horizon):
        self.tz = ZoneInfo(center.time_zone)
        self.windows: dict[date, list[tuple[int, int]]] = defaultdict(list)
        for iv in center.open_windows:
            o, c = ts(iv.start), ts(iv.end)
            d = from_ts(o, self.tz).date()
            if horizon is None or horizon[0] <= d <= horizon[1]:
                self.windows[d].append((o, c))
        self._zero: dict[date, int] = {}

    def zero(self, d: date) -> int:
        """Epoch seconds such that zero(d) + 60 * m is local minute m of day d (m after 02:00)."""
        z = self._zero.get(d)
        if z is None:
            z = self._zero[d] = ts(datetime.combine(d, time(12), tzinfo=self.tz)) - 12 * 3600
        return z

    def inside(self, d: date, s: int, e: int) -> bool:
        return any(o <= s and e <= c for o, c in self.windows.get(d, ()))


def allowed_minutes(req: PlanRequest, days: Days, d: date, step: int, nb: int | None):
    """Allowed local start minutes on first day d (all legs), and the wish-free subset."""
    avail = req.availability if req.availability and req.availability.windows else None
    wins = days.windows.get(d, ())
    minutes = set()
    for o, c in wins:
        lo = from_ts(o, days.tz)
        m0 = lo.hour * 60 + lo.minute
        m = m0
        while days.zero(d) + m * 60 < c:
            minutes.add(m)
            m += step
    ok, wish_ok = [], []
    for m in sorted(minutes):
        good, wished = True, True
        for leg in req.legs:
            ld = d + timedelta(days=leg.day_offset)
            s = days.zero(ld) + m * 60
            e = s + session_minutes(leg.timing) * 60
            if not days.inside(ld, s, e) or (nb is not None and s < nb):
                good = False
                break
            if avail is not None:
                ls, le = from_ts(s, days.tz), from_ts(e, days.tz)
                if not avail.allows(ls, le):
                    good = False
                    break
                if avail.wish_misses(ls, le):
                    wished = False
        if good:
            ok.append(m)
            if wished:
                wish_ok.append(m)
    return ok, wish_ok
