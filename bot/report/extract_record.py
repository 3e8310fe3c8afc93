"""The sealed extract as the report reads it: Security's manifest (with its entries) or Support's summary.

Read leniently: fields the report does not use are ignored and fields it can do without have defaults, so
a newer `logdive extract` that adds fields still makes a report. What the report states as fact (the case,
the route, the window, the inputs' SHA-256s) must be present.
"""

from __future__ import annotations

import io
from collections.abc import Iterator, Mapping
from datetime import datetime
from typing import Any

import orjson
from pydantic import AwareDatetime, BaseModel, ConfigDict, ValidationError

from workflows.assessment import Route

# The sealed outputs a findings report is built from: a Security manifest or a Support summary.
EXTRACT_SUFFIXES = (".manifest.json", "-summary.json")


def is_report_source(name: str) -> bool:
    """Whether an artefact named `name` is an extract a findings report can be built from."""
    return name.endswith(EXTRACT_SUFFIXES)


# Where a per-project-path breakdown may live in the summary (issue 13 adds one; names vary by version).
_PER_PROJECT_KEYS = ("by_project_path", "by_project", "per_project_path", "per_project", "projects")


class ExtractUnreadable(ValueError):
    """The artefact is not an extract the report understands; the message says which field."""


class _Lenient(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore")


class WindowRecord(_Lenient):
    start: AwareDatetime
    end: AwareDatetime


class ScopeRecord(_Lenient):
    customer_namespace: str
    projects: tuple[str, ...] = ()
    groups: tuple[str, ...] = ()
    users: tuple[str, ...] = ()


class InputRecord(_Lenient):
    name: str
    sha256: str
    lines: int = 0
    bytes: int = 0
    compressed: bool = False
    entries_kept: int = 0


class Aggregate(_Lenient):
    """GitLab Support's figures for one slice: times accessed, users, unique IPs, first and last time."""

    entries: int = 0
    distinct_users: int = 0
    unique_ips: int = 0
    first: datetime | None = None
    last: datetime | None = None


class SummaryRecord(Aggregate):
    model_config = ConfigDict(frozen=True, extra="allow")

    project_paths: tuple[str, ...] = ()
    by_event_type: dict[str, Aggregate] = {}
    per_hour: dict[str, int] = {}
    by_log_kind: dict[str, int] = {}

    def per_project(self) -> dict[str, Aggregate]:
        """The per-project-path aggregates, when this version of the summary carries them."""
        extra = self.model_extra or {}
        for key in _PER_PROJECT_KEYS:
            value = extra.get(key)
            if isinstance(value, Mapping) and all(isinstance(v, Mapping) for v in value.values()):
                return {str(path): Aggregate.model_validate(_aggregate(v)) for path, v in value.items()}
        return {}


class EntriesRecord(_Lenient):
    file: str = ""
    sha256: str
    count: int


class ExtractRecord(_Lenient):
    """A manifest (Security) or a summary (Support)."""

    case: str
    route: Route
    generated_at: AwareDatetime
    window: WindowRecord
    scope: ScopeRecord
    event_types: tuple[str, ...] = ()
    inputs: tuple[InputRecord, ...] = ()
    dropped: dict[str, int] = {}
    summary: SummaryRecord = SummaryRecord()
    tool_version: str = ""
    # Security only.
    personal_data_kept: bool = False
    entries: EntriesRecord | None = None
    redactions: dict[str, int] = {}
    pseudonyms: str | None = None

    @property
    def has_entries(self) -> bool:
        return self.entries is not None


def read_extract(data: bytes) -> ExtractRecord:
    try:
        raw = orjson.loads(data)
    except orjson.JSONDecodeError as exc:
        raise ExtractUnreadable(f"the extract is not JSON ({exc})") from None
    if not isinstance(raw, dict):
        raise ExtractUnreadable("the extract is not a JSON object")
    try:
        return ExtractRecord.model_validate(raw)
    except ValidationError as exc:
        first = exc.errors(include_url=False)[0]
        where = ".".join(str(p) for p in first["loc"]) or "(top level)"
        raise ExtractUnreadable(f"the extract's field {where}: {first['msg']}") from None


def read_entries(data: bytes) -> Iterator[dict[str, Any]]:
    """The redacted entries, one JSON object a line; anything else is refused, not skipped. Lazy: a large
    extract is never held as parsed objects all at once."""
    for number, line in enumerate(io.BytesIO(data), start=1):
        if not line.strip():
            continue
        try:
            entry = orjson.loads(line)
        except orjson.JSONDecodeError:
            raise ExtractUnreadable(f"entries line {number} is not JSON") from None
        if not isinstance(entry, dict):
            raise ExtractUnreadable(f"entries line {number} is not a JSON object")
        yield entry


def _aggregate(value: Mapping[str, Any]) -> dict[str, Any]:
    """Accept Support's own names for the figures (times_accessed, users, ips) as well as ours."""
    aliases = {
        "times_accessed": "entries",
        "users": "distinct_users",
        "number_of_users": "distinct_users",
        "ips": "unique_ips",
        "first_seen": "first",
        "last_seen": "last",
    }
    out = dict(value)
    for alias, name in aliases.items():
        if alias in out and name not in out and not isinstance(out[alias], list | dict):
            out[name] = out.pop(alias)
    return out
