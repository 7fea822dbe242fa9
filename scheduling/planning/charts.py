"""Small SVG line charts for the template and week pages (attributes only: no inline CSS,
so a strict Content-Security-Policy keeps them)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Line:
    name: str
    css: str  # class of the polyline: "booked" | "template"
    points: str  # "x,y x,y ..." in the viewBox
    peak: float


@dataclass(frozen=True)
class Chart:
    width: int
    height: int
    lines: tuple[Line, ...]
    y_max: float
    x_labels: tuple[tuple[float, str], ...]
    baseline: float


def curve_chart(
    series: list[tuple[str, str, list[tuple[int, float]]]],
    *,
    y_max: float,
    width: int = 320,
    height: int = 90,
    pad: int = 4,
) -> Chart | None:
    """Step-free polylines of (minute, value) series on one minute axis; None when empty."""
    minutes = [m for _, _, pts in series for m, _ in pts]
    if not minutes:
        return None
    lo, hi = min(minutes), max(minutes)
    span = max(1, hi - lo)
    y_max = max(1.0, y_max)
    base = height - 14

    def xy(m, v):
        x = pad + (m - lo) * (width - 2 * pad) / span
        y = base - v * (base - pad) / y_max
        return f"{x:.1f},{y:.1f}"

    lines = tuple(
        Line(name, css, " ".join(xy(m, v) for m, v in pts), max((v for _, v in pts), default=0))
        for name, css, pts in series
        if pts
    )
    labels = []
    first_hour = -(-lo // 60) * 60
    for m in range(first_hour, hi + 1, 180):
        labels.append((pad + (m - lo) * (width - 2 * pad) / span, f"{m // 60:02d}"))
    return Chart(width, height, lines, y_max, tuple(labels), base)
