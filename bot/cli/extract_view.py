"""What `logdive extract` shows a person: a progress bar while reading, then tables and small charts."""

from __future__ import annotations

from datetime import datetime, timedelta

from rich.console import Console, Group
from rich.progress import (
    BarColumn,
    DownloadColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeRemainingColumn,
    TransferSpeedColumn,
)
from rich.table import Table
from rich.text import Text

from bot.cli.output import plain, when
from bot.extract.run import ExtractionResult
from workflows.log_summary import LogSummary

_SPARK = "▁▂▃▄▅▆▇█"
_CHART_WIDTH = 48
_TOP_EVENT_TYPES = 15
_SHORT_KIND = {"production_json": "prod", "api_json": "api", "audit_json": "audit", "application_json": "app"}


class RichProgress:
    """A ProgressSink drawing one bar over all input bytes, on stderr."""

    def __init__(self, console: Console, description: str) -> None:
        self._progress = Progress(
            TextColumn("[bold]{task.description}"),
            BarColumn(),
            DownloadColumn(binary_units=False),
            TransferSpeedColumn(),
            TimeRemainingColumn(),
            console=console,
            transient=False,
        )
        self._description = description
        self._task: TaskID | None = None

    def start(self, total_bytes: int) -> None:
        self._progress.start()
        self._task = self._progress.add_task(self._description, total=max(total_bytes, 1))

    def advance(self, amount: int) -> None:
        if self._task is not None:
            self._progress.advance(self._task, amount)

    def finish(self) -> None:
        if self._task is not None:
            total = self._progress.tasks[0].total or 0
            self._progress.update(self._task, completed=total)
        self._progress.stop()


def inputs_table(result: ExtractionResult) -> Table:
    table = Table(title="inputs", title_justify="left")
    table.add_column("#", justify="right")
    table.add_column("file", overflow="fold", min_width=12)
    for column in ("lines", "parsed", "malformed", "kept"):
        table.add_column(column, justify="right")
    table.add_column("kept by log kind", overflow="fold")
    table.add_column("sha256", no_wrap=True)
    for r in result.inputs:
        notes = (" (gzip)" if r.compressed else "") + (" [yellow]truncated[/]" if r.truncated else "")
        name = plain(r.name)
        name.append_text(Text.from_markup(notes))
        for error in r.errors:
            name.append("\n" + error, style="red")
        kinds = ", ".join(f"{_SHORT_KIND.get(k, k)} {v:,}" for k, v in sorted(r.kinds.items())) or "—"
        table.add_row(
            str(r.index), name, f"{r.lines:,}", f"{r.candidates:,}", f"{r.malformed:,}", f"{r.kept:,}",
            kinds, r.sha256[:8] + "…",
        )  # fmt: skip
    return table


def counts_table(title: str, counts: dict[str, int]) -> Table:
    table = Table(title=title, title_justify="left", show_header=False)
    table.add_column("what")
    table.add_column("count", justify="right")
    for key, value in counts.items():
        table.add_row(key.replace("_", " "), f"{value:,}")
    return table


def summary_tables(summary: LogSummary) -> Group:
    overview = Table(title="summary", title_justify="left", show_header=False)
    overview.add_column("what")
    overview.add_column("value")
    overview.add_row("entries", f"{summary.entries:,}")
    overview.add_row("distinct users", f"{summary.distinct_users:,}")
    overview.add_row("unique IP addresses", f"{summary.unique_ips:,}")
    overview.add_row("first", when(summary.first))
    overview.add_row("last", when(summary.last))
    paths = list(summary.project_paths)
    shown = ", ".join(paths[:10]) + (f" … (+{len(paths) - 10})" if len(paths) > 10 else "")
    overview.add_row("project paths", plain(shown or "—"))

    events = Table(title="per event type", title_justify="left")
    events.add_column("event type", overflow="fold", min_width=20)
    for column in ("entries", "users", "IPs"):
        events.add_column(column, justify="right")
    events.add_column("first → last", no_wrap=True)
    events.add_column("", no_wrap=True)
    ranked = sorted(summary.by_event_type.items(), key=lambda item: -item[1].entries)
    most = max((e.entries for _, e in ranked), default=0)
    for name, event in ranked[:_TOP_EVENT_TYPES]:
        events.add_row(
            plain(name), f"{event.entries:,}", f"{event.distinct_users:,}", f"{event.unique_ips:,}",
            f"{_short(event.first)} → {_short(event.last)}", _bar(event.entries, most),
        )  # fmt: skip
    if len(ranked) > _TOP_EVENT_TYPES:
        events.caption = f"{len(ranked) - _TOP_EVENT_TYPES} more in the summary file"
    projects = Table(title="per project path (who accessed it, from where)", title_justify="left")
    projects.add_column("project or group", overflow="fold", min_width=20)
    for column in ("times", "users", "IPs"):
        projects.add_column(column, justify="right")
    projects.add_column("first → last", no_wrap=True)
    by_path = sorted(summary.by_project_path.items(), key=lambda item: -item[1].entries)
    for name, access in by_path[:_TOP_EVENT_TYPES]:
        projects.add_row(
            plain(name), f"{access.entries:,}", f"{access.distinct_users:,}", f"{access.unique_ips:,}",
            f"{_short(access.first)} → {_short(access.last)}",
        )  # fmt: skip
    if len(by_path) > _TOP_EVENT_TYPES:
        projects.caption = f"{len(by_path) - _TOP_EVENT_TYPES} more in the summary file"
    return Group(overview, events, projects, hourly_chart(summary))


def hourly_chart(summary: LogSummary) -> Text:
    """Entries per hour, first to last, as one line of block characters (hours grouped to fit)."""
    if not summary.per_hour:
        return Text("entries per hour: none")
    counts = {datetime.fromisoformat(k): v for k, v in summary.per_hour.items()}
    first, last = min(counts), max(counts)
    span = int((last - first) / timedelta(hours=1)) + 1
    series = [counts.get(first + timedelta(hours=h), 0) for h in range(span)]
    per_bucket = max(1, -(-span // _CHART_WIDTH))
    buckets = [sum(series[i : i + per_bucket]) for i in range(0, span, per_bucket)]
    top = max(buckets)
    line = "".join(_SPARK[(count * (len(_SPARK) - 1)) // top] if count else " " for count in buckets)
    unit = "hour" if per_bucket == 1 else f"{per_bucket} hours"
    text = Text(f"entries per {unit}, {when(first)} → {when(last)} (max {top:,}): ")
    text.append(line, style="cyan")
    return text


def _short(moment: datetime | None) -> str:
    return moment.strftime("%m-%d %H:%M") if moment else "—"


def _bar(value: int, most: int) -> Text:
    width = 12 * value // most if most else 0
    return Text("█" * max(width, 1 if value else 0), style="cyan")
