"""Small server-rendered SVG charts (no JavaScript library, nothing loaded from outside)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal


@dataclass(frozen=True)
class ChartPoint:
    x: float
    y: float
    label: str
    value: Decimal


@dataclass(frozen=True)
class LineChart:
    width: int
    height: int
    points: list[ChartPoint]
    polyline: str
    y_ticks: list[tuple[float, Decimal]]


def line_chart(
    labels: Sequence[str], values: Sequence[Decimal], *, width: int = 640, height: int = 200, pad: int = 36
) -> LineChart | None:
    """Lay out a line chart of `values` against `labels`; None when there is nothing to draw."""
    if not values:
        return None
    top = max(max(values), Decimal(0))
    bottom = min(min(values), Decimal(0))
    span = (top - bottom) or Decimal(1)
    step = (width - 2 * pad) / max(len(values) - 1, 1)
    points = [
        ChartPoint(
            x=round(pad + i * step, 1),
            y=round(height - pad - float((v - bottom) / span) * (height - 2 * pad), 1),
            label=label,
            value=v,
        )
        for i, (label, v) in enumerate(zip(labels, values, strict=True))
    ]
    ticks = [
        (round(height - pad - f * (height - 2 * pad), 1), bottom + span * Decimal(str(f)))
        for f in (0, 0.5, 1)
    ]
    return LineChart(
        width=width,
        height=height,
        points=points,
        polyline=" ".join(f"{p.x},{p.y}" for p in points),
        y_ticks=ticks,
    )
