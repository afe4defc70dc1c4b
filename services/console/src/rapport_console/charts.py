"""The analytics page's charts, laid out here and drawn as inline SVG by the templates
(``_charts.html``), as the conversation page's sentiment chart is.

Why server-side SVG rather than a vendored charting library: the page then needs no script at
all (the console's CSP is ``script-src 'self'``, and a chart that needs no JavaScript also
prints, reads in a screen reader through its ``<title>`` elements and its table, and cannot
break on a library upgrade); nothing is fetched at run time, no third-party licence travels
with the package, and the charts the issue asks for (lines over time, bars of reasons) are a
few dozen lines. Colours are SVG presentation attributes, not ``style``, so the CSP's
``style-src 'self'`` needs no exception.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime

from rapport_archive.analytics import Latency, Reason, Series
from rapport_archive.store import DAY_MS

WIDTH, HEIGHT = 560, 200
RATE_TOPS = (0.04, 0.08, 0.2, 0.4, 0.6, 0.8, 1.0)
LEFT, RIGHT, TOP, BOTTOM = 52, 16, 12, 30
# Colour-blind-safe (Okabe-Ito), then grey for "other".
PALETTE = ("#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#000000")
OTHER_COLOUR = "#999999"


@dataclass(frozen=True)
class Dot:
    x: float
    y: float
    title: str


@dataclass(frozen=True)
class Line:
    name: str
    colour: str
    segments: tuple[str, ...]  # polyline points; a bucket with nothing to count breaks the line
    dots: tuple[Dot, ...]
    total: str  # the whole range's figure, for the legend
    dashed: bool = False


@dataclass(frozen=True)
class Tick:
    at: float
    label: str


@dataclass
class LineChart:
    chart_id: str
    label: str
    width: int = WIDTH
    height: int = HEIGHT
    left: int = LEFT
    right: int = WIDTH - RIGHT
    top: int = TOP
    bottom: int = HEIGHT - BOTTOM
    y_ticks: list[Tick] = field(default_factory=list)
    x_ticks: list[Tick] = field(default_factory=list)
    lines: list[Line] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        return not any(line.dots for line in self.lines)


def day_label(day: int) -> str:
    return datetime.fromtimestamp(day * DAY_MS / 1000, UTC).strftime("%b %d")


def _frame(chart_id: str, label: str, buckets: list[int]) -> tuple[LineChart, list[float]]:
    chart = LineChart(chart_id, label)
    n = len(buckets)
    span = chart.right - chart.left
    xs = [chart.left + (span * i / (n - 1) if n > 1 else span / 2) for i in range(n)]
    every = max(1, -(-n // 8))  # at most ~8 dates under the axis
    chart.x_ticks = [Tick(round(xs[i], 1), day_label(buckets[i])) for i in range(0, n, every)]
    return chart, xs


def _y(chart: LineChart, value: float, top_value: float) -> float:
    share = value / top_value if top_value else 0.0
    return round(chart.bottom - share * (chart.bottom - chart.top), 1)


def _colour(i: int, name: str) -> str:
    return OTHER_COLOUR if name == "other" else PALETTE[i % len(PALETTE)]


def pct(value: float | None) -> str:
    return "-" if value is None else f"{100 * value:.1f}%"


def rate_chart(
    chart_id: str, label: str, series: list[Series], buckets: list[int], what: str
) -> LineChart:
    """One line per series, 0..100 % (the axis tops just above the largest rate, so a 3 %
    rate is not a flat line on the floor)."""
    chart, xs = _frame(chart_id, label, buckets)
    highest = max((p.rate for s in series for p in s.points if p.rate is not None), default=0.0)
    # Tops whose quarters are whole percentages, so every tick reads as one.
    top_value = next(t for t in RATE_TOPS if t >= highest or t == RATE_TOPS[-1])
    chart.y_ticks = [
        Tick(_y(chart, top_value * k / 4, top_value), f"{100 * top_value * k / 4:.0f}%")
        for k in range(5)
    ]
    for i, s in enumerate(series):
        segments: list[str] = []
        current: list[str] = []
        dots = []
        for x, point in zip(xs, s.points, strict=True):
            if point.rate is None:
                if current:
                    segments.append(" ".join(current))
                current = []
                continue
            y = _y(chart, point.rate, top_value)
            current.append(f"{x:.1f},{y}")
            dots.append(
                Dot(
                    round(x, 1),
                    y,
                    f"{s.name} {day_label(point.bucket)}: {pct(point.rate)} "
                    f"({point.numerator} of {point.denominator} {what})",
                )
            )
        if current:
            segments.append(" ".join(current))
        total = f"{pct(s.rate)} ({s.numerator}/{s.denominator})"
        chart.lines.append(Line(s.name, _colour(i, s.name), tuple(segments), tuple(dots), total))
    return chart


def latency_chart(
    chart_id: str, label: str, latency: list[Latency], buckets: list[int]
) -> LineChart:
    """Median and 90th percentile decision latency per bucket, in milliseconds."""
    chart, xs = _frame(chart_id, label, buckets)
    x_of = dict(zip(buckets, xs, strict=True))
    highest = max((lat.p90_ms for lat in latency), default=0.0)
    top_value = _nice(highest)
    chart.y_ticks = [
        Tick(_y(chart, top_value * k / 4, top_value), ms(top_value * k / 4)) for k in range(5)
    ]
    for i, (name, pick) in enumerate((("median", "p50_ms"), ("90th percentile", "p90_ms"))):
        dots = [
            Dot(
                round(x_of[lat.bucket], 1),
                _y(chart, getattr(lat, pick), top_value),
                f"{name} {day_label(lat.bucket)}: {ms(getattr(lat, pick))} ({lat.count} decisions)",
            )
            for lat in latency
        ]
        points = " ".join(f"{d.x},{d.y}" for d in dots)
        chart.lines.append(
            Line(name, PALETTE[i], (points,) if points else (), tuple(dots), "", dashed=i == 1)
        )
    return chart


def _nice(value: float) -> float:
    """The smallest 1, 2 or 5 times a power of ten at or above ``value`` (at least 10 ms)."""
    step = 10.0
    while True:
        for m in (1, 2, 5):
            if step * m >= value:
                return step * m
        step *= 10


def ms(value: float) -> str:
    return f"{value / 1000:.1f} s" if value >= 1000 else f"{value:.0f} ms"


@dataclass(frozen=True)
class Bar:
    label: str
    y: float
    width: float
    value: str


@dataclass
class BarChart:
    chart_id: str
    label: str
    width: int = WIDTH
    height: int = 0
    left: int = 260
    bars: list[Bar] = field(default_factory=list)
    bar_height: int = 18


def reasons_chart(chart_id: str, reasons: list[Reason]) -> BarChart:
    """The top reasons as horizontal bars, their share of the escalations."""
    chart = BarChart(chart_id, "Top reasons for escalating")
    span = chart.width - chart.left - 90
    top_share = max((r.share for r in reasons), default=1.0) or 1.0
    for i, r in enumerate(reasons):
        label = r.rule + (f" ({r.signal})" if r.signal else "")
        chart.bars.append(
            Bar(
                label[:40],
                8 + i * 26,
                round(max(2.0, span * r.share / top_share), 1),
                f"{r.count} · {100 * r.share:.0f}%",
            )
        )
    chart.height = 16 + 26 * len(reasons)
    return chart
