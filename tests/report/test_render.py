"""The HTML page itself: every value escaped, only the charts as markup, Support's per-project view."""

from __future__ import annotations

import hashlib
import json

import orjson

from bot.catalog import load_catalog
from bot.report import model
from bot.report.extract_record import read_entries, read_extract
from bot.report.render import render_html

SUPPORT = {
    "case": "LD-9",
    "route": "support",
    "generated_at": "2026-11-09T08:30:00Z",
    "window": {"start": "2026-11-01T00:00:00Z", "end": "2026-11-03T00:00:00Z"},
    "scope": {"customer_namespace": "acme-corp", "projects": ["acme-corp/api", "acme-corp/web"]},
    "event_types": ["resource_access_future_category"],
    "inputs": [{"name": "production_json.log", "sha256": "ab" * 32, "lines": 1000, "entries_kept": 9}],
    "summary": {
        "entries": 9, "distinct_users": 3, "unique_ips": 4,
        "first": "2026-11-01T10:00:00Z", "last": "2026-11-02T11:00:00Z",
        "per_hour": {"2026-11-01T10:00:00+00:00": 4, "2026-11-02T11:00:00+00:00": 5},
        "by_project_path": {
            "acme-corp/api": {"entries": 7, "distinct_users": 2, "unique_ips": 3,
                              "first": "2026-11-01T10:00:00Z", "last": "2026-11-02T11:00:00Z"},
            "acme-corp/web": {"entries": 2, "distinct_users": 1, "unique_ips": 1,
                              "first": "2026-11-01T10:30:00Z", "last": "2026-11-01T10:40:00Z"},
        },
    },
}  # fmt: skip


def _html(record: dict, entries: bytes = b"") -> str:
    data = json.dumps(record).encode()
    report = model.build(
        read_extract(data), hashlib.sha256(data).hexdigest(), load_catalog(), entries=read_entries(entries)
    )
    return render_html(report)


def test_support_answers_per_project_path_with_a_chart() -> None:
    html = _html(SUPPORT)
    assert "Chart 2. Times accessed per project path" in html and "<h3>Per project path</h3>" in html
    api_row = html.index("<td>acme-corp/api</td>")
    assert html.index("<td>acme-corp/web</td>") > api_row  # most accessed first
    assert '<td class="n">7</td><td class="n">2</td><td class="n">3</td>' in html[api_row:]
    assert "resource_access_future_category" in html  # an unknown name is shown as it is, escaped
    assert "Appendix" not in html and "Top source IP" not in html


def test_every_value_from_the_extract_is_escaped() -> None:
    hostile = "<script>alert(1)</script><img src=x onerror=alert(2)>"
    record = {
        **SUPPORT,
        "route": "security",
        "case": "LD-9",
        "entries": {"file": "e.jsonl", "sha256": "cd" * 32, "count": 1},
        "redactions": {hostile: 1},
        "summary": {**SUPPORT["summary"], "by_event_type": {hostile: {"entries": 1}}},
        "inputs": [{"name": hostile, "sha256": "ab" * 32, "lines": 1}],
    }
    entry = {
        "time": "2026-11-01T10:00:00Z", "method": "GET", "path": f"/acme-corp/api/{hostile}",
        "username": hostile, "remote_ip": "81.2.69.142", "status": 200,
        "_logdive": {"kind": "api_json", "input": 1, "offset": 0},
    }  # fmt: skip
    html = _html(record, orjson.dumps(entry) + b"\n")
    assert "<script" not in html.lower() and "<img" not in html.lower()
    assert html.count("onerror") == html.count("&lt;img src=x onerror") > 0  # only ever as text
    assert html.count("&lt;script&gt;alert(1)&lt;/script&gt;") >= 5  # table cells, chart label, appendix
