"""The report reads extracts leniently: fields added by newer versions are ignored or used, never fatal;
what it states as fact must be there."""

from __future__ import annotations

import json

import pytest

from bot.report.extract_record import ExtractUnreadable, read_entries, read_extract

BASE = {
    "case": "LD-42",
    "route": "support",
    "generated_at": "2026-11-09T08:30:00Z",
    "window": {"start": "2026-11-01T00:00:00Z", "end": "2026-11-08T00:00:00Z"},
    "scope": {"customer_namespace": "acme-corp", "projects": ["acme-corp/api"]},
    "summary": {"entries": 9, "distinct_users": 2, "unique_ips": 3, "first": None, "last": None},
}


def test_added_fields_are_ignored_and_a_per_project_breakdown_is_used() -> None:
    data = {
        **BASE,
        "a_future_field": {"anything": [1, 2]},
        "summary": {
            **BASE["summary"],
            "distinct_users_estimated": True,
            "by_project_path": {
                "acme-corp/api": {"times_accessed": 7, "users": 2, "unique_ips": 2,
                                  "first": "2026-11-02T10:00:00Z", "last": "2026-11-03T10:00:00Z"},
                "acme-corp/web": {"entries": 2, "distinct_users": 1, "unique_ips": 1},
            },
        },
    }  # fmt: skip
    record = read_extract(json.dumps(data).encode())
    per_project = record.summary.per_project()
    assert per_project["acme-corp/api"].entries == 7 and per_project["acme-corp/api"].distinct_users == 2
    assert per_project["acme-corp/web"].entries == 2
    assert record.entries is None


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"case": None}, "case"),
        ({"route": "everyone"}, "route"),
        ({"window": {"start": "2026-11-01"}}, "window"),
        ({"generated_at": "yesterday"}, "generated_at"),
    ],
)
def test_missing_or_wrong_facts_are_named(change: dict, field: str) -> None:
    with pytest.raises(ExtractUnreadable, match=field):
        read_extract(json.dumps({**BASE, **change}).encode())


def test_not_an_extract_at_all() -> None:
    with pytest.raises(ExtractUnreadable, match="not JSON"):
        read_extract(b"\x89PNG...")
    with pytest.raises(ExtractUnreadable, match="line 2 is not a JSON object"):
        list(read_entries(b'{"a": 1}\n[1, 2]\n'))
