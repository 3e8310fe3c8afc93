"""The report as one self-contained HTML page (templates/report/, Jinja2 with autoescape), and its PDF.

Every value is escaped by Jinja2; only the charts (matplotlib's SVG) are markup. The page names nothing
outside itself: styles are inline, fonts are the reader's own, charts are inline SVG, and a
Content-Security-Policy forbids loading anything. The PDF is WeasyPrint's rendering of the same HTML,
with a URL fetcher that refuses every URL, so the HTML cannot make it fetch anything either.
"""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime
from enum import StrEnum
from functools import cache
from typing import Any, NoReturn

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from bot.report import charts
from bot.report.model import Report
from bot.resources import template_dir


class Paper(StrEnum):
    A4 = "A4"
    LETTER = "letter"


def when(moment: datetime | None, *, seconds: bool = False) -> str:
    if moment is None:
        return "—"
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S" if seconds else "%Y-%m-%d %H:%M")


def number(value: int) -> str:
    return f"{value:,}"


@cache
def environment() -> Environment:
    env = Environment(
        loader=FileSystemLoader(str(template_dir() / "report")),
        autoescape=select_autoescape(["html", "j2"], default=True, default_for_string=True),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["when"] = when
    env.filters["num"] = number
    return env


def with_charts(report: Report) -> Report:
    """The report with its charts drawn (each only when it has data to show)."""
    drawn: dict[str, Any] = {}
    if report.timeline:
        drawn["timeline"] = charts.timeline(report.timeline, report.window_start, report.window_end)
    if report.by_event_type:
        rows = report.by_event_type[: charts.MAX_BARS]
        drawn["events"] = charts.bars(
            [r.label for r in rows], [r.entries for r in rows], xlabel="Entries", name="events"
        )
    if report.by_project:
        rows = report.by_project[: charts.MAX_BARS]
        drawn["projects"] = charts.bars(
            [r.label for r in rows], [r.entries for r in rows], xlabel="Times accessed", name="projects"
        )
    return dataclasses.replace(report, charts=drawn)


def render_html(report: Report) -> str:
    if not report.charts:
        report = with_charts(report)
    return environment().get_template("report.html.j2").render(r=report)


def render_pdf(html: str, paper: Paper = Paper.A4) -> bytes:
    # Imported here: WeasyPrint loads Pango and fonts, which nothing else in the CLI needs.
    from weasyprint import CSS, HTML

    page = CSS(string=f"@page {{ size: {Paper(paper).value}; }}", url_fetcher=_no_fetch)
    document = HTML(string=html, url_fetcher=_no_fetch, base_url="about:blank")
    return document.write_pdf(stylesheets=[page])


def _no_fetch(url: str, *args: Any, **kwargs: Any) -> NoReturn:
    raise ValueError(f"the report loads nothing from outside itself (refused {url[:80]!r})")
