"""Server-rendered SVG geometry for the analytics charts (no JavaScript, prints, works
offline): grouped bars, one group per row of a table, with an optional capacity outline."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass
class Rect:
    x: float
    y: float
    width: float
    height: float
    css: str
    title: str


def grouped_bars(
    labels: list[str],
    series: list[tuple[str, list[float | None], str]],
    *,
    capacity: list[float | None] | None = None,
    unit: str = "",
    width: int = 640,
    height: int = 220,
    pad_left: int = 44,
    pad_bottom: int = 28,
    pad_top: int = 16,
) -> dict:
    """Bars for len(labels) groups; `series` is [(name, values, css class)]. Values of None are
    not drawn. `capacity` draws a dashed outline behind each group (open chair-hours)."""
    plot_w, plot_h = width - pad_left - 8, height - pad_bottom - pad_top
    values = [v for _, vs, _ in series for v in vs if v is not None]
    values += [c for c in (capacity or []) if c is not None]
    top = max(values + [1e-9])
    step = plot_w / max(len(labels), 1)
    group_w = step * 0.8
    bar_w = group_w / max(len(series), 1)
    baseline = pad_top + plot_h
    rects, texts = [], []
    # Label every group when they fit, else every n-th (a month of days).
    every = max(1, round(len(labels) / 24))
    for i, label in enumerate(labels):
        x0 = pad_left + i * step + (step - group_w) / 2
        if capacity and capacity[i]:
            h = plot_h * capacity[i] / top
            rects.append(
                Rect(
                    round(x0, 1),
                    round(baseline - h, 1),
                    round(group_w, 1),
                    round(h, 1),
                    "cap",
                    f"{label}: {capacity[i]:.1f}{unit} open",
                )
            )
        for j, (name, vs, css) in enumerate(series):
            v = vs[i]
            if v is None:
                continue
            h = plot_h * v / top
            rects.append(
                Rect(
                    round(x0 + j * bar_w, 1),
                    round(baseline - h, 1),
                    round(bar_w * 0.92, 1),
                    round(h, 1),
                    css,
                    f"{label}: {name} {v:.1f}{unit}",
                )
            )
        if i % every == 0:
            texts.append({"x": round(x0, 1), "text": label})
    digits = 0 if top >= 20 else (1 if top >= 2 else 2)
    ticks = [
        {"value": f"{top * f:.{digits}f}", "y": round(baseline - plot_h * f, 1)}
        for f in (0, 0.5, 1)
    ]
    return {
        "width": width,
        "height": height,
        "rects": rects,
        "labels": texts,
        "label_y": height - 8,
        "baseline": baseline,
        "pad_left": pad_left,
        "ticks": ticks,
        "legend": [(name, css) for name, _, css in series],
        "has_capacity": bool(capacity),
    }
