"""The report's charts: matplotlib's SVG backend (no Agg, no pyplot state), inlined into the HTML.

Readable in greyscale: greys only, and every series told apart by a hatch or a marker rather than a
colour. Text stays text (`svg.fonttype: none`), so the PDF's text layer holds the axis labels. Output is
byte-for-byte repeatable for the same data (fixed hash salt, no date), so the same extract gives the
same report bytes, and the same checksum for review.
"""

from __future__ import annotations

import io
import re
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

import matplotlib as mpl
from markupsafe import Markup
from matplotlib.axes import Axes
from matplotlib.backends.backend_svg import FigureCanvasSVG
from matplotlib.dates import AutoDateLocator, ConciseDateFormatter
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator
from matplotlib.typing import RcKeyType

HATCHES = ("//", "..", "xx", "\\\\", "++", "oo", "--", "**")
GREYS = ("#d9d9d9", "#bdbdbd", "#f0f0f0", "#969696")
INK = "#222222"
_STYLE: dict[RcKeyType, Any] = {
    "svg.fonttype": "none",
    "font.family": "sans-serif",
    "font.size": 9,
    "axes.edgecolor": INK,
    "axes.labelcolor": INK,
    "xtick.color": INK,
    "ytick.color": INK,
    "text.color": INK,
    "hatch.color": "#555555",
    "hatch.linewidth": 0.6,
}
_PROLOGUE = re.compile(r"\A.*?(?=<svg)", re.DOTALL)
LABEL_CHARS = 48
MAX_BARS = 15  # the rest are in the table below the chart


def timeline(points: Sequence[tuple[datetime, int]], start: datetime, end: datetime) -> Markup:
    """Entries per hour (per day for windows longer than four days) across the whole window."""
    daily = end - start > timedelta(days=4)
    buckets: dict[datetime, int] = {}
    for moment, count in points:
        key = moment.replace(minute=0, second=0, microsecond=0)
        if daily:
            key = key.replace(hour=0)
        buckets[key] = buckets.get(key, 0) + count
    step = timedelta(days=1) if daily else timedelta(hours=1)
    first = start.replace(minute=0, second=0, microsecond=0)
    if daily:
        first = first.replace(hour=0)
    xs, ys = [], []
    moment = first
    while moment < end:
        xs.append(moment)
        ys.append(buckets.get(moment, 0))
        moment += step
    figure = Figure(figsize=(7.0, 2.6))
    axes = figure.add_subplot()
    width = step * 0.85
    # matplotlib's stubs do not model its unit converters: datetimes and timedeltas are valid x values.
    axes.bar(
        xs,  # type: ignore[arg-type]
        ys,
        width=width,  # type: ignore[arg-type]
        align="edge",
        color=GREYS[0],
        edgecolor=INK,
        hatch="//",
        linewidth=0.6,
    )
    axes.plot(
        [x + step / 2 for x, y in zip(xs, ys, strict=True) if y],  # type: ignore[arg-type]
        [y for y in ys if y],
        linestyle="none",
        marker="o",
        markersize=3,
        color=INK,
    )
    axes.set_xlim(first, max(end, first + step))  # type: ignore[arg-type]
    axes.set_ylim(0, max([*ys, 1]) * 1.15)
    locator = AutoDateLocator(minticks=4, maxticks=9)
    axes.xaxis.set_major_locator(locator)
    axes.xaxis.set_major_formatter(ConciseDateFormatter(locator, tz=start.tzinfo))
    axes.set_xlabel("Time (UTC)")
    axes.set_ylabel("Entries per day" if daily else "Entries per hour")
    _integer_ticks(axes.yaxis.get_major_locator())
    _tidy(axes)
    return _svg(figure, "timeline")


def bars(labels: Sequence[str], values: Sequence[int], *, xlabel: str, name: str) -> Markup:
    """A horizontal bar per label, each with its own hatch, its value printed at the end of the bar."""
    shown = [_short(label) for label in labels][::-1]
    counts = list(values)[::-1]
    figure = Figure(figsize=(7.0, 0.45 * max(len(shown), 2) + 0.9))
    axes = figure.add_subplot()
    for index, (label, count) in enumerate(zip(shown, counts, strict=True)):
        original = len(shown) - 1 - index
        axes.barh(
            label,
            count,
            color=GREYS[original % len(GREYS)],
            edgecolor=INK,
            hatch=HATCHES[original % len(HATCHES)],
            linewidth=0.6,
            height=0.6,
        )
        axes.annotate(
            f"{count:,}", (count, index), xytext=(4, 0), textcoords="offset points", va="center", fontsize=8
        )
    axes.set_xlabel(xlabel)
    axes.set_xlim(0, max([*counts, 1]) * 1.15)
    _integer_ticks(axes.xaxis.get_major_locator())
    _tidy(axes)
    return _svg(figure, name)


def _integer_ticks(locator: object) -> None:
    assert isinstance(locator, MaxNLocator)  # a linear axis's default AutoLocator is one
    locator.set_params(integer=True)


def _tidy(axes: Axes) -> None:
    axes.spines[["top", "right"]].set_visible(False)
    axes.grid(axis="both", color="#dddddd", linewidth=0.5)
    axes.set_axisbelow(True)


def _short(label: str) -> str:
    return label if len(label) <= LABEL_CHARS else label[: LABEL_CHARS - 1] + "…"


def _svg(figure: Figure, name: str) -> Markup:
    figure.set_layout_engine("constrained")
    buffer = io.StringIO()
    # A salt per chart: the ids of two charts on one page never collide, and never change between runs.
    with mpl.rc_context({**_STYLE, "svg.hashsalt": f"logdive-{name}"}):
        FigureCanvasSVG(figure).print_svg(
            buffer, metadata=dict.fromkeys(("Date", "Creator", "Format", "Type"))
        )
    text = _PROLOGUE.sub("", buffer.getvalue(), count=1)
    # Matplotlib's own output, trusted as markup: every label in it was escaped by matplotlib's writer.
    return Markup(text.replace("<svg ", f'<svg role="img" aria-labelledby="chart-{name}" ', 1))  # noqa: S704
