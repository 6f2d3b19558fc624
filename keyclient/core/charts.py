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


@dataclass(frozen=True)
class LorenzChart:
    width: int
    height: int
    pad: int
    right: int  # where the plot area ends on the x axis
    polyline: str  # the curve, in drawing coordinates
    equality: tuple[float, float, float, float]  # the diagonal of perfect equality: x1, y1, x2, y2
    x_ticks: list[tuple[float, str]]
    y_ticks: list[tuple[float, str]]
    marks: list[tuple[float, float, str]]  # highlighted points: x, y, label
    points: int


def lorenz_chart(
    points: Sequence[tuple[float, float]],
    *,
    marks: Sequence[tuple[float, float, str]] = (),
    width: int = 320,
    height: int = 260,
    pad: int = 36,
) -> LorenzChart | None:
    """Lay out a Lorenz curve: `points` are (share of the population, share of the total), both 0–1,
    poorest first. The y axis stretches below 0 when the curve does (negative values, e.g. loss-making
    clients' contribution). None when there is nothing to draw."""
    if len(points) < 2:
        return None
    low = min(0.0, *(y for _x, y in points))
    high = max(1.0, *(y for _x, y in points))
    inner_w, inner_h = width - 2 * pad, height - 2 * pad

    def x_at(x: float) -> float:
        return round(float(pad + x * inner_w), 1)

    def y_at(y: float) -> float:
        return round(float(height - pad - (y - low) / (high - low) * inner_h), 1)

    quarters = (0.0, 0.25, 0.5, 0.75, 1.0)
    return LorenzChart(
        width=width,
        height=height,
        pad=pad,
        right=width - pad,
        polyline=" ".join(f"{x_at(x)},{y_at(y)}" for x, y in points),
        equality=(x_at(0), y_at(0), x_at(1), y_at(1)),
        x_ticks=[(x_at(q), f"{q:.0%}") for q in quarters],
        # The lowest point gets its own tick only when it reads as a whole negative percent: a dip of
        # a fraction of a percent would print "-0%" on top of the 0% tick.
        y_ticks=[
            (y_at(q), f"{q:.0%}") for q in ((low,) if f"{low:.0%}" not in ("0%", "-0%") else ()) + quarters
        ],
        marks=[(x_at(x), y_at(y), label) for x, y, label in marks],
        points=len(points),
    )
